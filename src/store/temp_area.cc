#include "store/temp_area.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "sys/fs.h"

namespace quai::store {
namespace {

bool is_same_file(const std::string& path, int fd) {
  struct stat by_name {
  }, by_fd{};
  return ::stat(path.c_str(), &by_name) == 0 && ::fstat(fd, &by_fd) == 0 &&
         by_name.st_dev == by_fd.st_dev && by_name.st_ino == by_fd.st_ino;
}

}  // namespace

WorkDir::~WorkDir() {
  if (committed_ || path_.empty()) return;
  if (auto removed = sys::remove_tree(path_); !removed) {
    log::warn("remove work dir: {}", removed.error().to_string());
  }
}

Status WorkDir::commit_to(const std::string& target) {
  // RENAME_NOREPLACE: a finished copy made by another process at the same time wins.
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST || errno == ENOTEMPTY) {
      return fail(Errc::AlreadyExists, "\"{}\" already exists", target);
    }
    return fail_errno(errno, "rename \"{}\" to \"{}\"", path_, target);
  }
  committed_ = true;
  return ok();
}

Result<WorkDir> TempArea::make(std::string_view prefix) const {
  TRY(sys::mkdir_p(dir_, 0700));
  // Between mkdtemp and flock, another command's sweep sees an unlocked directory and may
  // remove it: the lock counts only if the name still leads to the directory locked.
  for (int attempt = 1;; ++attempt) {
    std::string path = fmt::format("{}/{}-XXXXXX", dir_, prefix);
    if (::mkdtemp(path.data()) == nullptr) return fail_errno(errno, "mkdtemp \"{}\"", path);
    auto lock = FileLock::lock_directory(path, LockMode::Exclusive);
    if (!lock && lock.error().code() != Errc::NotFound) return std::unexpected(lock.error());
    if (lock && is_same_file(path, lock->fd())) return WorkDir(std::move(path), std::move(*lock));
    if (attempt == 100) return fail(Errc::Busy, "\"{}\": work dirs keep vanishing", dir_);
  }
}

Result<WorkDir> TempArea::move_in(const std::string& path, std::string_view prefix) const {
  auto work = TRY(make(prefix));
  std::string target = work.path() + "/content";
  if (::rename(path.c_str(), target.c_str()) != 0) {
    if (errno == ENOENT) return fail(Errc::NotFound, "\"{}\" does not exist", path);
    return fail_errno(errno, "move \"{}\" to \"{}\"", path, target);
  }
  return work;
}

Result<int> TempArea::sweep() const {
  int removed = 0;
  for (const auto& name : TRY(sys::list_directory(dir_))) {
    std::string path = dir_ + "/" + name;
    auto lock = FileLock::lock_directory(path, LockMode::Exclusive, false);
    if (!lock) continue;  // in use by a live command, or gone meanwhile
    if (sys::remove_tree(path)) ++removed;
  }
  return removed;
}

}  // namespace quai::store
