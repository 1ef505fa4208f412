#pragma once
// Result<T> = std::expected<T, Error>, with TRY / TRY_CTX to propagate errors.

#include <expected>
#include <utility>

#include "base/error.h"

namespace quai {

template <class T>
using Result = std::expected<T, Error>;
using Status = Result<void>;

inline std::unexpected<Error> fail(Error error) { return std::unexpected(std::move(error)); }

template <class... Args>
std::unexpected<Error> fail(Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return std::unexpected(Error(code, fmt::format(format, std::forward<Args>(args)...)));
}

/// A failed system call as an error value; call right after the call so errno is fresh.
template <class... Args>
std::unexpected<Error> fail_errno(int sys_errno, fmt::format_string<Args...> format,
                                  Args&&... args) {
  return std::unexpected(
      Error::from_errno(sys_errno, fmt::format(format, std::forward<Args>(args)...)));
}

inline Status ok() { return {}; }

/// Returns `result` with a context frame added to its error, if any.
template <class T, class... Args>
Result<T> with_context(Result<T> result, fmt::format_string<Args...> format, Args&&... args) {
  if (!result) result.error().add_context(fmt::format(format, std::forward<Args>(args)...));
  return result;
}

}  // namespace quai

#define QUAI_CONCAT_(a, b) a##b
#define QUAI_CONCAT(a, b) QUAI_CONCAT_(a, b)

// Never use TRY inside a braced initialiser after an element that owns something (a
// string, a Json, an fd): returning from the statement expression there skips the
// destructors of the elements already built, and they leak. Hoist the TRY into a variable.
//
// TRY(expr): evaluates to the value of a Result, or returns its error from the enclosing
// function. A GNU statement expression, so it works in initialisers: auto x = TRY(f());
// Each use gets its own variable name so nested TRYs do not shadow each other.
#define TRY(expr) QUAI_TRY_IMPL_((expr), QUAI_CONCAT(quai_try_, __COUNTER__))
#define QUAI_TRY_IMPL_(expr, name)                                            \
  ({                                                                          \
    auto&& name = expr;                                                       \
    if (!name.has_value()) return ::std::unexpected(std::move(name).error()); \
    std::move(name).value();                                                  \
  })

// TRY_CTX(expr, format, args...): like TRY, and adds a context frame to the error.
#define TRY_CTX(expr, ...) \
  QUAI_TRY_CTX_IMPL_((expr), QUAI_CONCAT(quai_try_, __COUNTER__), __VA_ARGS__)
#define QUAI_TRY_CTX_IMPL_(expr, name, ...)                    \
  ({                                                           \
    auto&& name = expr;                                        \
    if (!name.has_value()) {                                   \
      auto quai_try_error_ = std::move(name).error();          \
      quai_try_error_.add_context(::fmt::format(__VA_ARGS__)); \
      return ::std::unexpected(std::move(quai_try_error_));    \
    }                                                          \
    std::move(name).value();                                   \
  })

// QUAI_CHECK(cond): a broken invariant is a bug; abort with file:line.
#define QUAI_CHECK(cond)                                          \
  do {                                                            \
    if (!(cond)) ::quai::check_failed(#cond, __FILE__, __LINE__); \
  } while (0)

namespace quai {
[[noreturn]] void check_failed(const char* condition, const char* file, int line);
}
