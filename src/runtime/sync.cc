#include <sys/socket.h>

#include <cerrno>

#include "base/strings.h"
#include "runtime/internal/sync.h"

namespace quai::runtime::internal {

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
    return fail_errno(errno, "socketpair");
  }
  return std::pair{SyncChannel(sys::UniqueFd(fds[0])), SyncChannel(sys::UniqueFd(fds[1]))};
}

Status SyncChannel::send(SyncStep step, std::string_view payload) {
  std::string message(1, static_cast<char>(step));
  message.append(payload);
  while (::send(fd_.get(), message.data(), message.size(), MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return fail_errno(errno, "sync send");
  }
  return ok();
}

Status SyncChannel::send_error(const Error& error) {
  std::string payload = fmt::format("{}\n{}\n{}", static_cast<int>(error.code()), error.sys_errno(),
                                    error.to_string());
  // The errno text is already in the rendered message; the receiver keeps the code only.
  return send(SyncStep::Failed, payload);
}

Result<SyncMessage> SyncChannel::receive() {
  std::string buffer(65536, '\0');
  ssize_t n;
  do {
    n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return fail_errno(errno, "sync receive");
  if (n == 0) return fail(Errc::Internal, "the container process exited during setup");
  buffer.resize(static_cast<size_t>(n));
  SyncMessage message{static_cast<SyncStep>(buffer[0]), buffer.substr(1)};
  if (message.step != SyncStep::Failed) return message;
  auto lines = split(message.payload, '\n');
  if (lines.size() < 3) return fail(Errc::Internal, "malformed error from the container process");
  auto code = parse_int64(lines[0]);
  std::string text = message.payload.substr(lines[0].size() + lines[1].size() + 2);
  return fail(Error(code ? static_cast<Errc>(*code) : Errc::Internal, text));
}

Result<std::string> SyncChannel::expect(SyncStep step) {
  auto message = TRY(receive());
  if (message.step != step) {
    return fail(Errc::Internal, "sync: expected step '{}', got '{}'", static_cast<char>(step),
                static_cast<char>(message.step));
  }
  return message.payload;
}

}  // namespace quai::runtime::internal
