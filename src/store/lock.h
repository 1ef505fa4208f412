#pragma once
// Advisory file locks (flock) that serialise quai processes working on the same store.
// A lock dies with its process, so a crashed command never leaves the store locked.

#include <string>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::store {

enum class LockMode { Shared, Exclusive };

/// Holds a flock on a file (created if missing) or a directory until destroyed.
class FileLock {
 public:
  /// Waits for the lock.
  static Result<FileLock> acquire(const std::string& path, LockMode mode);
  /// Busy when another process holds a conflicting lock.
  static Result<FileLock> try_acquire(const std::string& path, LockMode mode);
  /// Locks an existing directory (never creates anything): NotFound when it is missing,
  /// Busy when `wait` is false and another process holds a conflicting lock.
  static Result<FileLock> lock_directory(const std::string& path, LockMode mode, bool wait = true);
  /// Locks an already open file or directory.
  static Result<FileLock> acquire_fd(sys::UniqueFd fd, LockMode mode, const std::string& name);

  int fd() const { return fd_.get(); }

 private:
  explicit FileLock(sys::UniqueFd fd) : fd_(std::move(fd)) {}
  sys::UniqueFd fd_;
};

}  // namespace quai::store
