#include "registry/server/stream.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace quai::registry::server {
namespace {

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  if (code == 0) return "no detail from OpenSSL";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

class PlainStream final : public ByteStream {
 public:
  explicit PlainStream(sys::UniqueFd socket) : socket_(std::move(socket)) {}

  Result<size_t> read_some(char* data, size_t size) override {
    for (;;) {
      ssize_t n = ::recv(socket_.get(), data, size, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return fail_errno(errno, "receive");
      TRY(wait(socket_.get(), false));
    }
  }

  Status write_all(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::send(socket_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && errno == EAGAIN) {
        TRY(wait(socket_.get(), true));
      } else if (n < 0 && errno != EINTR) {
        return fail_errno(errno, "send");
      }
    }
    return ok();
  }

 private:
  sys::UniqueFd socket_;
};

class TlsStream final : public ByteStream {
 public:
  TlsStream(sys::UniqueFd socket, SSL* ssl) : socket_(std::move(socket)), ssl_(ssl) {}
  ~TlsStream() override {
    SSL_shutdown(ssl_);  // best effort close_notify; never waits for the peer's
    SSL_free(ssl_);
  }

  // Runs one OpenSSL call until it stops asking to wait for the socket.
  template <class Call>
  Result<int> drive(Call call, std::string_view what) {
    for (;;) {
      ERR_clear_error();
      int n = call();
      if (n > 0) return n;
      int reason = SSL_get_error(ssl_, n);
      if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) {
        TRY(wait(socket_.get(), reason == SSL_ERROR_WANT_WRITE));
        continue;
      }
      if (reason == SSL_ERROR_ZERO_RETURN) return 0;
      if (reason == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return 0;  // peer went away
      return fail(Errc::Io, "TLS {}: {}", what, openssl_error());
    }
  }

  Status handshake() {
    TRY(drive([&] { return SSL_accept(ssl_); }, "handshake"));
    return ok();
  }

  Result<size_t> read_some(char* data, size_t size) override {
    int n = TRY(drive(
        [&] { return SSL_read(ssl_, data, static_cast<int>(std::min<size_t>(size, 1 << 30))); },
        "read"));
    return static_cast<size_t>(n);
  }

  Status write_all(std::string_view data) override {
    while (!data.empty()) {
      int chunk = static_cast<int>(std::min<size_t>(data.size(), 1 << 20));
      int n = TRY(drive([&] { return SSL_write(ssl_, data.data(), chunk); }, "write"));
      if (n == 0) return fail(Errc::Io, "TLS write: the peer closed the connection");
      data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
  }

 private:
  sys::UniqueFd socket_;
  SSL* ssl_;
};

Status make_non_blocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
    return fail_errno(errno, "make the socket non-blocking");
  return ok();
}

}  // namespace

Status ByteStream::wait(int fd, bool for_write) const {
  struct pollfd poll_fd = {fd, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
  for (;;) {
    int n = ::poll(&poll_fd, 1, static_cast<int>(idle_.count()));
    if (n > 0) return ok();
    if (n == 0) return fail(Errc::Timeout, "the peer sent nothing for {} s", idle_.count() / 1000);
    if (errno != EINTR) return fail_errno(errno, "poll");
  }
}

Status ByteStream::send_file(int file, uint64_t offset, uint64_t length) {
  // Not sendfile(2): measured with skopeo pulling a 512 MiB blob over loopback, its bursts
  // made the reader wait more and the pull took 1.1 times as long as with 256 KiB writes.
  std::vector<char> buffer(1 << 18);
  while (length > 0) {
    ssize_t n = ::pread(file, buffer.data(), std::min<uint64_t>(length, buffer.size()),
                        static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read the blob");
    if (n == 0) return fail(Errc::Io, "send file: it ended {} bytes early", length);
    TRY(write_all(std::string_view(buffer.data(), static_cast<size_t>(n))));
    offset += static_cast<uint64_t>(n);
    length -= static_cast<uint64_t>(n);
  }
  return ok();
}

std::unique_ptr<ByteStream> plain_stream(sys::UniqueFd socket) {
  (void)make_non_blocking(socket.get());
  return std::make_unique<PlainStream>(std::move(socket));
}

Result<std::unique_ptr<ByteStream>> tls_stream(sys::UniqueFd socket, SSL_CTX* context,
                                               std::chrono::milliseconds handshake_timeout) {
  TRY(make_non_blocking(socket.get()));
  SSL* ssl = SSL_new(context);
  if (ssl == nullptr) return fail(Errc::Internal, "TLS: {}", openssl_error());
  SSL_set_fd(ssl, socket.get());
  auto stream = std::make_unique<TlsStream>(std::move(socket), ssl);
  stream->set_idle_timeout(handshake_timeout);
  TRY(stream->handshake());
  return std::unique_ptr<ByteStream>(std::move(stream));
}

void TlsContextDeleter::operator()(SSL_CTX* context) const { SSL_CTX_free(context); }

Result<TlsContext> load_tls_context(const std::string& cert_file, const std::string& key_file) {
  TlsContext context(SSL_CTX_new(TLS_server_method()));
  if (!context) return fail(Errc::Internal, "TLS: {}", openssl_error());
  SSL_CTX_set_min_proto_version(context.get(), TLS1_2_VERSION);
  SSL_CTX_set_mode(context.get(), SSL_MODE_ENABLE_PARTIAL_WRITE);
  if (SSL_CTX_use_certificate_chain_file(context.get(), cert_file.c_str()) != 1)
    return fail(Errc::InvalidArgument, "TLS certificate \"{}\": {}", cert_file, openssl_error());
  if (SSL_CTX_use_PrivateKey_file(context.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return fail(Errc::InvalidArgument, "TLS key \"{}\": {}", key_file, openssl_error());
  if (SSL_CTX_check_private_key(context.get()) != 1)
    return fail(Errc::InvalidArgument, "TLS key \"{}\" does not match \"{}\"", key_file, cert_file);
  return context;
}

}  // namespace quai::registry::server
