#pragma once
// HTTP(S) requests through libcurl, loaded with dlopen() the first time one is made: linked
// in, libcurl's thirty-odd shared dependencies would load with every `quai run`
// (docs/DECISIONS.md). Bodies stream both ways through callbacks, so blobs of any size pass
// without being held in memory. A Client keeps one connection cache: use one per thread.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace quai::http {

struct TlsOptions {
  bool verify = true;   // peer certificate and host name
  std::string ca_file;  // extra trust: a PEM bundle
  std::string ca_dir;   // or a directory of them (c_rehash'ed or *.crt, as curl takes it)
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  /// A small body; ignored when `body_reader` is set.
  std::string body;
  /// A streamed body: returns up to `size` bytes, 0 at its end.
  std::function<Result<size_t>(char* data, size_t size)> body_reader;
  std::optional<uint64_t> body_length;  // with body_reader; none: chunked
  /// Where the response body goes; unset, it is collected in Response::body (up to
  /// `max_collected` bytes, more is an error).
  std::function<Status(std::string_view data)> sink;
  size_t max_collected = 8 << 20;
  /// Called once with a success's status before its first body byte reaches `sink`
  /// (206 tells a resumed transfer from a restarted one).
  std::function<void(long status)> on_success;
  bool follow_redirects = true;
  /// Ask for the server's Last-Modified time (Response::modified).
  bool want_modified_time = false;
};

struct Response {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::string body;
  std::optional<int64_t> modified;  // seconds since the epoch

  /// The last value of a header (name in lower case), empty when absent.
  std::string header(std::string_view name) const;
};

class Client {
 public:
  /// Unsupported, naming the package to install, when libcurl cannot be loaded.
  static Result<Client> make(TlsOptions tls = {});
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;
  ~Client();

  /// Any status is a result; Io for transport failures, naming the method and URL
  /// ("GET https://x/v2/: Could not resolve host: x").
  Result<Response> perform(const Request& request);
  const TlsOptions& tls() const { return tls_; }

 private:
  struct Handle;
  Client(std::unique_ptr<Handle> handle, TlsOptions tls);

  std::unique_ptr<Handle> handle_;
  TlsOptions tls_;
};

}  // namespace quai::http
