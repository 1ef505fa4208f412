#include "store/temp_area.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "sys/fs.h"

namespace quai::store {

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
  std::string path = fmt::format("{}/{}-XXXXXX", dir_, prefix);
  if (::mkdtemp(path.data()) == nullptr) return fail_errno(errno, "mkdtemp \"{}\"", path);
  auto lock = TRY(FileLock::acquire(path, LockMode::Exclusive));
  return WorkDir(std::move(path), std::move(lock));
}

Result<int> TempArea::sweep() const {
  DIR* dir = ::opendir(dir_.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return 0;
    return fail_errno(errno, "open \"{}\"", dir_);
  }
  int removed = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir_ + "/" + name;
    auto lock = FileLock::try_acquire(path, LockMode::Exclusive);
    if (!lock) continue;  // in use by a live command
    if (sys::remove_tree(path)) ++removed;
  }
  ::closedir(dir);
  return removed;
}

}  // namespace quai::store
