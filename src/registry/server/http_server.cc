#include "registry/server/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "base/log.h"
#include "base/strings.h"

namespace quai::registry::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using boost::system::error_code;

// Beast's sync read/write concepts over a ByteStream; the ByteStream's deadlines apply.
class BeastStream {
 public:
  explicit BeastStream(ByteStream& stream) : stream_(stream) {}

  template <class Buffers>
  size_t read_some(const Buffers& buffers, error_code& ec) {
    ec = {};
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      net::mutable_buffer buffer = *it;
      if (buffer.size() == 0) continue;
      auto n = stream_.read_some(static_cast<char*>(buffer.data()), buffer.size());
      if (!n) return failed(std::move(n.error()), ec);
      if (*n == 0) ec = net::error::eof;
      return *n;
    }
    return 0;
  }

  template <class Buffers>
  size_t write_some(const Buffers& buffers, error_code& ec) {
    ec = {};
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers);
         ++it) {
      net::const_buffer buffer = *it;
      if (buffer.size() == 0) continue;
      auto status = stream_.write_all(
          std::string_view(static_cast<const char*>(buffer.data()), buffer.size()));
      if (!status) return failed(std::move(status.error()), ec);
      return buffer.size();
    }
    return 0;
  }

  template <class Buffers>
  size_t read_some(const Buffers& buffers) {
    error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  template <class Buffers>
  size_t write_some(const Buffers& buffers) {
    error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  ByteStream& stream() { return stream_; }

 private:
  size_t failed(Error error, error_code& ec) {
    ec = error.code() == Errc::Timeout ? net::error::timed_out : net::error::connection_reset;
    return 0;
  }

  ByteStream& stream_;
};

using Parser = http::request_parser<http::buffer_body>;

constexpr size_t kReadBuffer = 256 << 10;

// The request body, read through the parser (which undoes chunked encoding). A client that
// sent "Expect: 100-continue" waits for our go-ahead, given only when a handler reads.
class ParserBody final : public BodyReader {
 public:
  ParserBody(BeastStream& stream, beast::flat_buffer& buffer, Parser& parser, bool expects_continue)
      : stream_(stream), buffer_(buffer), parser_(parser), must_continue_(expects_continue) {}

  Result<size_t> read_some(char* data, size_t size) override {
    if (parser_.is_done()) return 0;
    if (must_continue_) {
      must_continue_ = false;
      TRY(stream_.stream().write_all("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    started_ = true;
    while (!parser_.is_done()) {
      parser_.get().body().data = data;
      parser_.get().body().size = size;
      error_code ec;
      http::read_some(stream_, buffer_, parser_, ec);
      size_t got = size - parser_.get().body().size;
      if (ec && ec != http::error::need_buffer)
        return fail(ec == net::error::timed_out ? Errc::Timeout : Errc::Io,
                    "read the request body: {}", ec.message());
      if (got > 0) return got;
    }
    return 0;
  }

  /// Whether the connection can carry another request: the body was read to its end, or
  /// what is left is small enough to skip.
  bool drain(std::optional<uint64_t> content_length) {
    if (parser_.is_done()) return true;
    if (!started_ && must_continue_) return false;  // the client holds its body back
    // A refused upload's gigabytes, or a chunked body of unknown size: closing is cheaper.
    constexpr uint64_t kBudget = 1 << 20;
    if (!content_length || *content_length > kBudget) return false;
    char scratch[1 << 14];
    uint64_t budget = kBudget;
    while (!parser_.is_done()) {
      auto n = read_some(scratch, sizeof scratch);
      if (!n || *n > budget) return false;
      budget -= *n;
    }
    return true;
  }

 private:
  BeastStream& stream_;
  beast::flat_buffer& buffer_;
  Parser& parser_;
  bool must_continue_;
  bool started_ = false;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Request make_request(const Parser& parser, std::string peer) {
  const Parser::value_type& message = parser.get();
  Request request;
  request.method = std::string(message.method_string());
  std::string_view target(message.target().data(), message.target().size());
  size_t question = target.find('?');
  request.path = percent_decode(target.substr(0, question));
  if (question != std::string_view::npos) {
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
      std::string_view pair = query.substr(0, query.find('&'));
      query.remove_prefix(std::min(query.size(), pair.size() + 1));
      size_t equals = pair.find('=');
      request.query.emplace_back(
          percent_decode(pair.substr(0, equals)),
          equals == std::string_view::npos ? "" : percent_decode(pair.substr(equals + 1)));
    }
  }
  for (const auto& field : message) {
    request.headers.emplace_back(to_lower(field.name_string()), std::string(field.value()));
  }
  if (parser.content_length()) request.content_length = *parser.content_length();
  request.peer = std::move(peer);
  return request;
}

Status write_response(BeastStream& stream, Response& response, bool keep_alive) {
  bool has_file = response.file.valid();
  uint64_t length = has_file ? response.file_length : response.body.size();
  http::response<http::empty_body> header;
  header.result(static_cast<unsigned>(response.status));
  header.version(11);
  for (const auto& [name, value] : response.headers) header.insert(name, value);
  header.keep_alive(keep_alive);
  header.content_length(length);
  http::response_serializer<http::empty_body> serializer(header);
  error_code ec;
  http::write_header(stream, serializer, ec);
  if (ec) return fail(Errc::Io, "write the response: {}", ec.message());
  if (response.head_only) return ok();
  if (has_file) return stream.stream().send_file(response.file.get(), response.file_offset, length);
  return stream.stream().write_all(response.body);
}

Response bad_request(std::string_view why) {
  Response response;
  response.status = 400;
  response.set("Content-Type", "text/plain");
  response.body = std::string(why) + "\n";
  return response;
}

void serve_connection(ByteStream& stream, const Handler& handler, const ServerLimits& limits,
                      const std::string& peer) {
  BeastStream beast_stream(stream);
  beast::flat_buffer buffer;
  // Beast reads as much as the buffer has room for: empty, that is 512 bytes a system call,
  // and a 512 MiB upload took 320 000 of them.
  buffer.reserve(kReadBuffer);
  for (;;) {
    Parser parser;
    parser.header_limit(static_cast<uint32_t>(limits.max_header_bytes));
    // Bodies are streamed and handlers enforce their own limits. Not boost::none: Boost
    // 1.74 compares a length with the empty optional and finds every body over the limit.
    parser.body_limit(std::numeric_limits<uint64_t>::max());
    stream.set_idle_timeout(limits.header_timeout);
    error_code ec;
    http::read_header(beast_stream, buffer, parser, ec);
    if (ec == net::error::eof || ec == net::error::connection_reset || ec == net::error::timed_out)
      return;
    if (ec) {
      Response response = bad_request(ec.message());
      (void)write_response(beast_stream, response, false);
      return;
    }
    stream.set_idle_timeout(limits.idle_timeout);
    const auto& message = parser.get();
    bool expects_continue = beast::iequals(message[http::field::expect], "100-continue");
    ParserBody body(beast_stream, buffer, parser, expects_continue);
    Request request = make_request(parser, peer);
    request.body = &body;
    Response response;
    try {
      response = handler(request);
    } catch (const std::exception& error) {
      log::error("registry: {} {}: {}", request.method, request.path, error.what());
      response = bad_request("internal error");
      response.status = 500;
    }
    bool keep_alive = message.keep_alive() && body.drain(request.content_length);
    if (!write_response(beast_stream, response, keep_alive) || !keep_alive) return;
  }
}

std::string describe(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (address.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &v4.sin_addr, host, sizeof host);
    port = ntohs(v4.sin_port);
    return fmt::format("{}:{}", host, port);
  }
  const auto& v6 = reinterpret_cast<const sockaddr_in6&>(address);
  ::inet_ntop(AF_INET6, &v6.sin6_addr, host, sizeof host);
  return fmt::format("[{}]:{}", host, ntohs(v6.sin6_port));
}

// "host:port", "[v6]:port" or ":port" → the parts getaddrinfo takes.
Result<std::pair<std::string, std::string>> split_address(const std::string& address) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos)
    return fail(Errc::InvalidArgument, "listen address \"{}\": expected HOST:PORT", address);
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::pair{host, address.substr(colon + 1)};
}

// Connections in flight, so that stop() can end their waits.
struct Connections {
  std::mutex mutex;
  std::condition_variable idle;
  std::set<int> sockets;
};

}  // namespace

bool is_loopback_address(const std::string& address) {
  auto parts = split_address(address);
  if (!parts) return false;
  const std::string& host = parts->first;
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

HttpServer::HttpServer(sys::UniqueFd listener, std::string address)
    : listener_(std::move(listener)), address_(std::move(address)) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    wake_read_.reset(pipe_fds[0]);
    wake_write_.reset(pipe_fds[1]);
  }
}
HttpServer::HttpServer(HttpServer&&) noexcept = default;
HttpServer::~HttpServer() = default;

Result<HttpServer> HttpServer::listen(const std::string& address) {
  auto [host, port] = TRY(split_address(address));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int status = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (status != 0)
    return fail(Errc::InvalidArgument, "listen address \"{}\": {}", address,
                ::gai_strerror(status));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, ::freeaddrinfo);
  sys::UniqueFd listener(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) return fail_errno(errno, "socket");
  int yes = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (::bind(listener.get(), found->ai_addr, found->ai_addrlen) != 0)
    return fail_errno(errno, "listen on {}", address);
  if (::listen(listener.get(), 128) != 0) return fail_errno(errno, "listen on {}", address);
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  return HttpServer(std::move(listener), describe(bound));
}

void HttpServer::stop() {
  char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_write_.get(), &byte, 1);
}

Status HttpServer::serve(const Handler& handler, const ServerLimits& limits, SSL_CTX* tls) {
  Connections connections;
  for (;;) {
    struct pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "poll");
    }
    if (fds[1].revents != 0) break;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the peer gave up already, or a transient shortage of fds
    sys::UniqueFd socket(fd);
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    {
      std::lock_guard lock(connections.mutex);
      if (static_cast<int>(connections.sockets.size()) >= limits.max_connections) continue;
      connections.sockets.insert(fd);
    }
    std::thread([&, socket = std::move(socket), peer_name = describe(peer)]() mutable {
      int raw = socket.get();
      std::unique_ptr<ByteStream> stream;
      if (tls == nullptr) {
        stream = plain_stream(std::move(socket));
      } else if (auto secured = tls_stream(std::move(socket), tls, limits.header_timeout)) {
        stream = std::move(*secured);
      } else {
        log::debug("registry: {}: {}", peer_name, secured.error().to_string());
      }
      if (stream) serve_connection(*stream, handler, limits, peer_name);
      // Forget the socket before it is closed: its number may be reused by the next accept.
      std::lock_guard lock(connections.mutex);
      connections.sockets.erase(raw);
      stream.reset();
      connections.idle.notify_all();
    }).detach();
  }
  std::unique_lock lock(connections.mutex);
  for (int fd : connections.sockets) ::shutdown(fd, SHUT_RDWR);
  connections.idle.wait(lock, [&] { return connections.sockets.empty(); });
  return ok();
}

}  // namespace quai::registry::server
