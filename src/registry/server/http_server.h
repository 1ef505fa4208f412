#pragma once
// An HTTP/1.1 server for the registry: one thread per connection (registry clients open a
// few long-lived connections and stream large bodies; a thread each keeps the blob path a
// plain read-hash-write loop), keep-alive, request bodies streamed to the handler, TLS when
// given a context. Requests are parsed by Boost.Beast, confined to http_server.cc.

#include <atomic>
#include <chrono>
#include <string>

#include "base/result.h"
#include "registry/server/http.h"
#include "registry/server/stream.h"
#include "sys/fd.h"

namespace quai::registry::server {

struct ServerLimits {
  std::chrono::milliseconds header_timeout{30'000};  // the whole request line and headers
  std::chrono::milliseconds idle_timeout{60'000};    // any wait for body bytes or the peer
  size_t max_header_bytes = 64 << 10;
  int max_connections = 512;
};

class HttpServer {
 public:
  /// Binds `address` ("127.0.0.1:5000", "[::1]:5000", ":5000"); port 0 picks a free one.
  static Result<HttpServer> listen(const std::string& address);

  /// The bound address, "127.0.0.1:43107".
  const std::string& address() const { return address_; }
  /// Serves until stop() (or a signal handler calling it); returns after every connection
  /// thread has finished.
  Status serve(const Handler& handler, const ServerLimits& limits, SSL_CTX* tls);
  /// Async-signal-safe.
  void stop();

  HttpServer(HttpServer&&) noexcept;
  ~HttpServer();

 private:
  HttpServer(sys::UniqueFd listener, std::string address);

  sys::UniqueFd listener_;
  sys::UniqueFd wake_read_, wake_write_;
  std::string address_;
};

/// True for loopback addresses ("127.0.0.1:5000", "[::1]:80", "localhost:5000").
bool is_loopback_address(const std::string& address);

}  // namespace quai::registry::server
