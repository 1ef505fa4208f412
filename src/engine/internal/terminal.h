#pragma once
// The user's terminal as attach and exec use it: raw mode for the session's length, and
// its window size.

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <optional>

namespace quai::engine::internal {

/// Puts stdin's terminal in raw mode and restores it however the session ends.
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

/// Stdin's window size, when it is a terminal that knows one.
inline std::optional<struct winsize> window_size() {
  struct winsize size {};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_row == 0) return std::nullopt;
  return size;
}

}  // namespace quai::engine::internal
