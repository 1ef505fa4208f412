#pragma once
// The HTTP exchange as the registry's handlers see it, free of the parser's types: a request
// whose body is read on demand (blobs are streamed, never held whole), and a response that
// is either a small body or a range of a file.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::registry::server {

/// Reads a request's body as it arrives. Move-only views into the connection; valid only
/// during the handler call.
class BodyReader {
 public:
  virtual ~BodyReader() = default;
  /// Up to `size` bytes; 0 at the end of the body. Timeout when the peer goes quiet.
  virtual Result<size_t> read_some(char* data, size_t size) = 0;
};

struct Request {
  std::string method;  // "GET", "HEAD", …
  std::string path;    // percent-decoded, without the query
  std::vector<std::pair<std::string, std::string>> query;
  std::vector<std::pair<std::string, std::string>> headers;  // names in lower case
  std::optional<uint64_t> content_length;                    // none: chunked or no body
  std::string peer;                                          // "127.0.0.1:40122"
  BodyReader* body = nullptr;

  /// The first value of a header (name in lower case), empty when absent.
  std::string_view header(std::string_view name) const;
  std::optional<std::string> query_value(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// A file range to send instead of `body` (blob GETs); `body` is then ignored.
  sys::UniqueFd file;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
  /// HEAD: headers only, with the Content-Length of what a GET would send.
  bool head_only = false;

  void set(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
  }
};

using Handler = std::function<Response(Request&)>;

}  // namespace quai::registry::server
