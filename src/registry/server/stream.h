#pragma once
// A connection's bytes, plain TCP or TLS, with a deadline on every wait: a peer that stops
// sending (or reading) is dropped instead of holding a thread forever.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sys/fd.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace quai::registry::server {

class ByteStream {
 public:
  virtual ~ByteStream() = default;
  /// Up to `size` bytes; 0 when the peer closed. Timeout after `idle` without data.
  virtual Result<size_t> read_some(char* data, size_t size) = 0;
  virtual Status write_all(std::string_view data) = 0;
  /// Sends `length` bytes of `file` from `offset`.
  Status send_file(int file, uint64_t offset, uint64_t length);

  void set_idle_timeout(std::chrono::milliseconds idle) { idle_ = idle; }

 protected:
  /// Waits until fd is readable (or writable); Timeout after idle_.
  Status wait(int fd, bool for_write) const;
  std::chrono::milliseconds idle_{60'000};
};

/// Takes ownership of a connected socket (made non-blocking here).
std::unique_ptr<ByteStream> plain_stream(sys::UniqueFd socket);
/// Runs the TLS handshake on a connected socket; fails (naming the peer) when it does not
/// complete before the idle timeout.
Result<std::unique_ptr<ByteStream>> tls_stream(sys::UniqueFd socket, SSL_CTX* context,
                                               std::chrono::milliseconds handshake_timeout);

/// A server-side TLS context from PEM files; errors name the file.
struct TlsContextDeleter {
  void operator()(SSL_CTX* context) const;
};
using TlsContext = std::unique_ptr<SSL_CTX, TlsContextDeleter>;
Result<TlsContext> load_tls_context(const std::string& cert_file, const std::string& key_file);

}  // namespace quai::registry::server
