#include "sys/fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <set>
#include <vector>

#include "base/strings.h"
#include "sys/syscalls.h"

namespace quai::sys {

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status mkdir_p(const std::string& path, mode_t mode) {
  // Usually only the last component or two are missing: try the whole path first and
  // walk up only as far as needed, one mkdir per missing level.
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return ok();
  if (errno != ENOENT) return fail_errno(errno, "mkdir \"{}\"", path);
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return fail_errno(ENOENT, "mkdir \"{}\"", path);
  TRY(mkdir_p(path.substr(0, slash), mode));
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    return fail_errno(errno, "mkdir \"{}\"", path);
  return ok();
}

namespace {

// The names in an open directory (read through a duplicate: the caller's fd stays put).
Result<std::vector<std::string>> names_in(int dirfd, const std::string& path) {
  int fd = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd < 0 ? nullptr : ::fdopendir(fd);
  if (dir == nullptr) {
    if (fd >= 0) ::close(fd);
    return fail_errno(errno, "opendir \"{}\"", path);
  }
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  return names;
}

Status remove_entries(int dirfd, const std::string& path, dev_t device) {
  for (const auto& name : TRY(names_in(dirfd, path))) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    std::string child = path + "/" + name;
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != device) return fail(Errc::Busy, "\"{}\" is a mount point", child);
      UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) return fail_errno(errno, "open \"{}\"", child);
      TRY(remove_entries(sub.get(), child, device));
      if (::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        return fail_errno(errno, "rmdir \"{}\"", child);
      }
    } else if (::unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return fail_errno(errno, "unlink \"{}\"", child);
    }
  }
  return ok();
}

struct InodeKey {
  dev_t device;
  ino_t inode;
  auto operator<=>(const InodeKey&) const = default;
};

Status add_sizes(int dirfd, const std::string& path, dev_t device, std::set<InodeKey>& seen,
                 uint64_t& total) {
  for (const auto& name : TRY(names_in(dirfd, path))) {
    struct stat st;
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISDIR(st.st_mode)) {
      if (st.st_nlink < 2 || seen.insert({st.st_dev, st.st_ino}).second)
        total += static_cast<uint64_t>(st.st_size);
      continue;
    }
    if (st.st_dev != device) continue;
    UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return fail_errno(errno, "open \"{}/{}\"", path, name);
    TRY(add_sizes(sub.get(), path + "/" + name, device, seen, total));
  }
  return ok();
}

}  // namespace

Result<uint64_t> tree_size(const std::string& path) {
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir && errno == ENOENT) return 0;
  if (!dir) return fail_errno(errno, "open \"{}\"", path);
  struct stat st;
  if (::fstat(dir.get(), &st) != 0) return fail_errno(errno, "stat \"{}\"", path);
  std::set<InodeKey> seen;
  uint64_t total = 0;
  TRY(add_sizes(dir.get(), path, st.st_dev, seen, total));
  return total;
}

Status remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return ok();
    return fail_errno(errno, "stat \"{}\"", path);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return fail_errno(errno, "unlink \"{}\"", path);
    return ok();
  }
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return fail_errno(errno, "open \"{}\"", path);
  TRY(remove_entries(dir.get(), path, st.st_dev));
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return fail_errno(errno, "rmdir \"{}\"", path);
  return ok();
}

constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags) {
  uint64_t open_flags = flags == 0 ? O_PATH : static_cast<uint64_t>(flags);
  return openat2(root_fd, path, open_flags, kInRoot);
}

namespace {

std::vector<std::string> path_components(const std::string& path) {
  std::vector<std::string> parts;
  for (auto& part : split(path, '/')) {
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
  }
  return parts;
}

Status create_node(int parent_fd, const std::string& name, const std::string& shown, NodeKind kind,
                   mode_t mode) {
  if (kind == NodeKind::File) {
    UniqueFd file(::openat(parent_fd, name.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0666));
    if (!file && errno != EEXIST) return fail_errno(errno, "create \"{}\"", shown);
  } else if (::mkdirat(parent_fd, name.c_str(), mode) != 0 && errno != EEXIST) {
    return fail_errno(errno, "mkdir \"{}\"", shown);
  }
  return ok();
}

}  // namespace

// Walks the path one component at a time. Symlinks are expanded here, relative to the
// root, so that a dangling link ("/etc/up" -> "../../outside") makes its target inside
// the root; ".." never climbs above the root because `done` holds only real directories.
Result<UniqueFd> make_path_in_root(int root_fd, const std::string& path, NodeKind kind,
                                   mode_t mode) {
  constexpr int kMaxSymlinks = 40;
  std::vector<std::string> todo = path_components(path);
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string name = std::move(todo.front());
    todo.erase(todo.begin());
    if (name == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string parent_path = "/" + join(done, "/");
    auto parent = TRY(open_in_root(root_fd, parent_path, O_PATH | O_DIRECTORY));
    std::string shown = (done.empty() ? "" : parent_path) + "/" + name;
    struct stat st;
    int found = ::fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW);
    if (found != 0 && errno != ENOENT) return fail_errno(errno, "stat \"{}\"", shown);
    if (found == 0 && S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks) return fail_errno(ELOOP, "resolve \"{}\"", path);
      char target[4096];
      ssize_t n = ::readlinkat(parent.get(), name.c_str(), target, sizeof target - 1);
      if (n < 0) return fail_errno(errno, "readlink \"{}\"", shown);
      target[n] = '\0';
      std::vector<std::string> expanded = target[0] == '/' ? std::vector<std::string>() : done;
      for (auto& part : path_components(target)) expanded.push_back(std::move(part));
      for (auto& part : todo) expanded.push_back(std::move(part));
      todo = std::move(expanded);
      done.clear();
      continue;
    }
    if (found != 0) {
      TRY(create_node(parent.get(), name, shown, todo.empty() ? kind : NodeKind::Directory, mode));
    }
    done.push_back(std::move(name));
  }
  return open_in_root(root_fd, "/" + join(done, "/"));
}

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

std::string clean_path(const std::string& path) {
  std::vector<std::string> out;
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(std::move(part));
  }
  return "/" + join(out, "/");
}

Result<std::vector<std::string>> list_directory(const std::string& path) {
  UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir && errno == ENOENT) return std::vector<std::string>();
  if (!dir) return fail_errno(errno, "open \"{}\"", path);
  return names_in(dir.get(), path);
}

std::string read_link(const std::string& path) {
  char target[4096];
  ssize_t n = ::readlink(path.c_str(), target, sizeof target);
  return n > 0 ? std::string(target, static_cast<size_t>(n)) : std::string();
}

std::string absolute_path(const std::string& path) {
  char cwd[4096];
  std::string base = ::getcwd(cwd, sizeof cwd) ? cwd : "/";
  if (path.empty() || path == ".") return base;
  if (path[0] == '/') return path;
  return base + "/" + path;
}

}  // namespace quai::sys
