// The client side of an attach: the CLI relays frames between its own stdio and the
// monitor until the container exits.

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "engine/internal/frames.h"
#include "engine/lifecycle.h"
#include "sys/file_io.h"

namespace quai::engine {
namespace {

using internal::Frame;

// Restores the terminal however the session ends.
class RawTerminal {
 public:
  explicit RawTerminal(bool enable) {
    if (!enable || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
    struct termios raw = saved_;
    ::cfmakeraw(&raw);
    active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawTerminal() {
    if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

 private:
  struct termios saved_ {};
  bool active_ = false;
};

void send_window_size(int socket) {
  struct winsize size {};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_row > 0) {
    internal::send_frame(socket, Frame::Resize, fmt::format("{} {}", size.ws_row, size.ws_col));
  }
}

}  // namespace

Result<std::optional<int>> attach_session(int socket, const AttachOptions& options) {
  RawTerminal terminal(options.tty && ::isatty(STDIN_FILENO));
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
