// The client side of an attach: the CLI relays frames between its own stdio and the
// monitor until the container exits.

#include <poll.h>
#include <unistd.h>

#include "engine/internal/frames.h"
#include "engine/internal/terminal.h"
#include "engine/lifecycle.h"
#include "sys/file_io.h"
#include "sys/unix_socket.h"

namespace quai::engine {
namespace {

using internal::Frame;

void send_window_size(int socket) {
  if (auto size = internal::window_size()) {
    internal::send_frame(socket, Frame::Resize, fmt::format("{} {}", size->ws_row, size->ws_col));
  }
}

}  // namespace

Result<sys::UniqueFd> connect_to_monitor(Engine& engine, const ContainerView& view) {
  if (view.state.status != RunStatus::Running && view.state.status != RunStatus::Paused) {
    return fail(Errc::Busy, "You cannot attach to a stopped container, start it first");
  }
  return TRY_CTX(sys::connect_unix(engine.attach_socket(view.record.id), SOCK_SEQPACKET),
                 "attach to {}", view.record.name);
}

Result<std::optional<int>> attach_session(int socket, const AttachOptions& options) {
  internal::RawTerminal terminal(options.tty && ::isatty(STDIN_FILENO));
  if (options.tty) send_window_size(socket);
  bool stdin_open = options.forward_stdin;
  while (true) {
    struct pollfd fds[2] = {{socket, POLLIN, 0}, {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[16384];
      ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
      if (n > 0) {
        internal::send_frame(socket, Frame::Stdin,
                             std::string_view(buffer, static_cast<size_t>(n)));
      } else {
        internal::send_frame(socket, Frame::StdinEof, "");
        stdin_open = false;
      }
    }
    if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    internal::ReceivedFrame frame;
    if (!internal::receive_frame(socket, frame)) return std::optional<int>();
    switch (frame.type) {
      case Frame::Stdout:
        (void)sys::write_all(STDOUT_FILENO, frame.payload);
        break;
      case Frame::Stderr:
        (void)sys::write_all(STDERR_FILENO, frame.payload);
        break;
      case Frame::Exited:
        return std::optional<int>(std::atoi(frame.payload.c_str()));
      case Frame::Error:
        return fail(Errc::Internal, "{}", frame.payload);
      default:
        break;
    }
  }
}

}  // namespace quai::engine
