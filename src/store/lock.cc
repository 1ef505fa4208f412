#include "store/lock.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

namespace quai::store {
namespace {

Result<sys::UniqueFd> open_lock_target(const std::string& path) {
  // Directories are locked through a read-only fd; files are created on first use.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECTORY);
  if (fd < 0 && errno == ENOTDIR) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail_errno(errno, "open lock \"{}\"", path);
  return sys::UniqueFd(fd);
}

int flock_operation(LockMode mode) { return mode == LockMode::Shared ? LOCK_SH : LOCK_EX; }

Status lock_fd(int fd, int operation, const std::string& name) {
  while (::flock(fd, operation) != 0) {
    if (errno == EWOULDBLOCK) return fail(Errc::Busy, "\"{}\" is locked by another process", name);
    if (errno != EINTR) return fail_errno(errno, "lock \"{}\"", name);
  }
  return ok();
}

}  // namespace

Result<FileLock> FileLock::acquire(const std::string& path, LockMode mode) {
  return acquire_fd(TRY(open_lock_target(path)), mode, path);
}

Result<FileLock> FileLock::try_acquire(const std::string& path, LockMode mode) {
  auto fd = TRY(open_lock_target(path));
  TRY(lock_fd(fd.get(), flock_operation(mode) | LOCK_NB, path));
  return FileLock(std::move(fd));
}

Result<FileLock> FileLock::lock_directory(const std::string& path, LockMode mode, bool wait) {
  sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd && errno == ENOENT) return fail(Errc::NotFound, "\"{}\" does not exist", path);
  if (!fd) return fail_errno(errno, "open \"{}\"", path);
  TRY(lock_fd(fd.get(), flock_operation(mode) | (wait ? 0 : LOCK_NB), path));
  return FileLock(std::move(fd));
}

Result<FileLock> FileLock::acquire_fd(sys::UniqueFd fd, LockMode mode, const std::string& name) {
  TRY(lock_fd(fd.get(), flock_operation(mode), name));
  return FileLock(std::move(fd));
}

}  // namespace quai::store
