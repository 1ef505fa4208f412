#pragma once
// <root>/tmp: where in-flight work lives until it is renamed into place. Each work
// directory is flock'ed by the process that made it, so a sweep can tell the leftovers
// of a crashed command (lock free) from work in progress (lock held) without guessing.

#include <string>
#include <string_view>

#include "base/result.h"
#include "store/lock.h"

namespace quai::store {

/// A directory under tmp/, removed on destruction unless it was renamed away.
class WorkDir {
 public:
  WorkDir(WorkDir&&) = default;
  WorkDir& operator=(WorkDir&&) = delete;
  ~WorkDir();

  const std::string& path() const { return path_; }
  /// Renames the directory to `target`; AlreadyExists when something is there already.
  Status commit_to(const std::string& target);

 private:
  friend class TempArea;
  WorkDir(std::string path, FileLock lock) : path_(std::move(path)), lock_(std::move(lock)) {}
  std::string path_;
  FileLock lock_;
  bool committed_ = false;
};

class TempArea {
 public:
  explicit TempArea(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  Result<WorkDir> make(std::string_view prefix) const;
  /// Removes `path` in two steps: a rename into a new work dir (it disappears at once),
  /// then the tree goes when the returned WorkDir does. NotFound when path is missing.
  Result<WorkDir> move_in(const std::string& path, std::string_view prefix) const;
  /// Removes what crashed commands left behind; returns how many entries went.
  Result<int> sweep() const;

 private:
  std::string dir_;
};

}  // namespace quai::store
