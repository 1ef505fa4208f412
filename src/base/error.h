#pragma once
// Error values that carry a code, the errno if any, and a context chain rendered
// outermost first ("create container "web": mount "proc": Operation not permitted").

#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace quai {

enum class Errc {
  NotFound,
  AlreadyExists,
  InvalidArgument,
  PermissionDenied,
  Busy,
  Unsupported,
  Corrupt,
  Io,
  Timeout,
  Internal,
};

class Error {
 public:
  Error(Errc code, std::string message, int sys_errno = 0)
      : code_(code), sys_errno_(sys_errno), message_(std::move(message)) {}

  /// An error from a failed system call: the code is derived from the errno.
  static Error from_errno(int sys_errno, std::string what);

  Errc code() const { return code_; }
  int sys_errno() const { return sys_errno_; }
  /// The innermost message, without context and errno text.
  const std::string& message() const { return message_; }

  /// Adds a frame that names what the caller was doing; frames added later render first.
  Error& add_context(std::string frame) {
    context_.push_back(std::move(frame));
    return *this;
  }

  /// The whole chain: "outer: inner: message: strerror".
  std::string to_string() const;

 private:
  Errc code_;
  int sys_errno_;
  std::string message_;
  std::vector<std::string> context_;  // innermost first
};

Errc errc_from_errno(int sys_errno);

template <class... Args>
Error make_error(Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return Error(code, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace quai
