// Hashing and copying COPY's sources (build/context.h).

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fmt/format.h>

#include "base/sha256.h"
#include "build/context.h"
#include "sys/fs.h"

namespace quai::build {
namespace {

Result<sys::UniqueFd> open_content(const WalkEntry& entry) {
  sys::UniqueFd fd(
      entry.name.empty()
          ? ::open(sys::fd_path(entry.dir_fd).c_str(), O_RDONLY | O_CLOEXEC)
          : ::openat(entry.dir_fd, entry.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", entry.path.empty() ? "." : entry.path);
  return fd;
}

Status hash_content(const WalkEntry& entry, Sha256& hash) {
  auto fd = TRY(open_content(entry));
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read \"{}\"", entry.path);
    if (n == 0) return ok();
    hash.update(std::string_view(buffer, static_cast<size_t>(n)));
  }
}

std::string join_path(const std::string& dest, const std::string& path) {
  if (path.empty()) return dest;
  return dest == "/" ? "/" + path : dest + "/" + path;
}

std::pair<std::string, std::string> split_parent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == 0) return {"/", path.substr(1)};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

Status set_metadata(int parent_fd, const std::string& name, const WalkEntry& entry,
                    const CopyRules& rules, const std::string& shown) {
  bool link = S_ISLNK(entry.st.st_mode);
  if (::fchownat(parent_fd, name.c_str(), rules.uid, rules.gid, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno(errno, "chown \"{}\"", shown);
  if (!link) {
    mode_t mode = rules.chmod ? *rules.chmod : (entry.st.st_mode & 07777);
    if (::fchmodat(parent_fd, name.c_str(), mode, 0) != 0)
      return fail_errno(errno, "chmod \"{}\"", shown);
  }
  struct timespec times[2] = {entry.st.st_atim, entry.st.st_mtim};
  if (::utimensat(parent_fd, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno(errno, "set the times of \"{}\"", shown);
  return ok();
}

Status copy_content(const WalkEntry& entry, int parent_fd, const std::string& name,
                    const std::string& shown) {
  auto in = TRY(open_content(entry));
  sys::UniqueFd out(::openat(parent_fd, name.c_str(),
                             O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out && errno == ELOOP) {
    // A symlink in the image where the file goes: the file replaces it.
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0)
      return fail_errno(errno, "replace \"{}\"", shown);
    out.reset(::openat(parent_fd, name.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  }
  if (!out) return fail_errno(errno, "create \"{}\"", shown);
  off_t left = entry.st.st_size;
  while (left > 0) {
    ssize_t n = ::sendfile(out.get(), in.get(), nullptr,
                           static_cast<size_t>(std::min<off_t>(left, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "copy to \"{}\"", shown);
    if (n == 0) break;  // the file shrank meanwhile
    left -= n;
  }
  return ok();
}

// Returns false for a directory that was already there: it keeps its owner and mode (and
// may be a symlink in the image, which must not be followed here).
Result<bool> make_node(const WalkEntry& entry, int parent_fd, const std::string& name,
                       const std::string& shown) {
  mode_t type = entry.st.st_mode & S_IFMT;
  if (type == S_IFDIR) {
    if (::mkdirat(parent_fd, name.c_str(), 0755) == 0) return true;
    if (errno != EEXIST) return fail_errno(errno, "mkdir \"{}\"", shown);
    return false;
  }
  if (type == S_IFREG) {
    TRY(copy_content(entry, parent_fd, name, shown));
    return true;
  }
  // Anything else replaces what is there.
  if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT && errno != EISDIR)
    return fail_errno(errno, "replace \"{}\"", shown);
  if (type == S_IFLNK) {
    if (::symlinkat(entry.link_target.c_str(), parent_fd, name.c_str()) != 0)
      return fail_errno(errno, "symlink \"{}\"", shown);
    return true;
  }
  if (::mknodat(parent_fd, name.c_str(), entry.st.st_mode, entry.st.st_rdev) != 0)
    return fail_errno(errno, "mknod \"{}\"", shown);
  return true;
}

}  // namespace

Result<std::string> hash_source(const SourceTree& tree, const Source& source) {
  Sha256 hash;
  TRY(walk_source(tree, source, [&](const WalkEntry& entry) -> Status {
    hash.update(fmt::format("{}\0{:o}\0{}\0{}.{}\0{}\0", entry.path, entry.st.st_mode,
                            entry.st.st_size, entry.st.st_mtim.tv_sec, entry.st.st_mtim.tv_nsec,
                            entry.link_target));
    if (S_ISREG(entry.st.st_mode)) TRY(hash_content(entry, hash));
    return ok();
  }));
  return hash.finish_hex();
}

Status copy_source(const SourceTree& tree, const Source& source, int root_fd,
                   const std::string& dest, const CopyRules& rules) {
  std::string cleaned = sys::clean_path(dest);
  return walk_source(tree, source, [&](const WalkEntry& entry) -> Status {
    std::string target = join_path(cleaned, entry.path);
    if (target == "/") return ok();  // the root itself keeps its owner and mode
    auto [parent_path, name] = split_parent(target);
    auto parent = TRY(sys::make_path_in_root(root_fd, parent_path, sys::NodeKind::Directory));
    sys::UniqueFd parent_dir(::openat(parent.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!parent_dir) return fail_errno(errno, "open \"{}\"", parent_path);
    if (!TRY(make_node(entry, parent_dir.get(), name, target))) return ok();
    return set_metadata(parent_dir.get(), name, entry, rules, target);
  });
}

}  // namespace quai::build
