#include "image/internal/layer_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <unordered_set>

#include "base/log.h"
#include "image/internal/whiteout.h"
#include "sys/fs.h"
#include "sys/syscalls.h"

namespace quai::image::internal {
namespace {

constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
// Enough for the directories a tar visits in turn; past it the cache starts over.
constexpr size_t kMaxCachedParents = 128;

}  // namespace

LayerWriter::LayerWriter(int root_fd, const UnpackOptions& options)
    : root_fd_(root_fd), options_(options) {
  policy_.rootless = options.rootless;
  policy_.is_root = ::geteuid() == 0;
}

Status LayerWriter::write(const TarEntry& entry, TarReader& data) {
  retired_.clear();
  auto where = TRY_CTX(clean_entry_path(entry.path), "entry \"{}\"", entry.path);
  if (!options_.owner)
    return with_context(write_entry(entry, where, data), "entry \"{}\"", entry.path);
  TarEntry owned = entry;
  std::tie(owned.uid, owned.gid) = *options_.owner;
  return with_context(write_entry(owned, where, data), "entry \"{}\"", entry.path);
}

Status LayerWriter::write_entry(const TarEntry& entry, const EntryPath& where, TarReader& data) {
  if (where.is_root()) {
    if (!S_ISDIR(entry.mode)) return fail(Errc::Corrupt, "the layer root must be a directory");
    return write_directory(root_fd_, where, entry);
  }
  int parent = TRY(parent_fd(where.parent));
  switch (options_.whiteouts ? whiteout_kind(where.name) : WhiteoutKind::None) {
    case WhiteoutKind::Opaque:
      return mark_opaque(parent);
    case WhiteoutKind::Meta:
      return ok();
    case WhiteoutKind::File:
      return write_whiteout(parent, std::string(whited_out_name(where.name)), entry);
    case WhiteoutKind::None:
      break;
  }
  if (entry.is_hard_link) return write_hard_link(parent, where, entry);
  switch (entry.mode & S_IFMT) {
    case S_IFREG:
      return write_file(parent, where, entry, data);
    case S_IFDIR:
      return write_directory(parent, where, entry);
    case S_IFLNK:
      return write_symlink(parent, where, entry);
    default:
      return write_special(parent, where, entry);
  }
}

Result<int> LayerWriter::parent_fd(const std::string& parent) {
  if (auto found = parents_.find(parent); found != parents_.end()) return found->second.get();
  auto fd = sys::openat2(root_fd_, parent, O_PATH | O_DIRECTORY, kInRoot);
  if (!fd && fd.error().sys_errno() == ENOENT) {
    // Tars may omit directory entries; make them as tar does, inside the root.
    TRY(sys::make_path_in_root(root_fd_, parent, sys::NodeKind::Directory, 0755));
    fd = sys::openat2(root_fd_, parent, O_PATH | O_DIRECTORY, kInRoot);
  }
  if (!fd) return fail(std::move(fd).error());
  if (parents_.size() >= kMaxCachedParents) forget_parents();
  return parents_.emplace(parent, std::move(*fd)).first->second.get();
}

// Later entries win, as in a tar extract: whatever is at `name` goes, a directory with all
// its content. The cache is forgotten because it may hold that directory or paths through it.
Status LayerWriter::make_room(int parent, const std::string& name) {
  struct stat st;
  if (::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return ok();
    return fail_errno(errno, "stat");
  }
  if (S_ISDIR(st.st_mode) && options_.keep_directory_kinds) {
    return fail(Errc::InvalidArgument, "cannot overwrite directory \"{}\" with non-directory",
                name);
  }
  forget_parents();
  if (S_ISDIR(st.st_mode)) return sys::remove_tree(sys::fd_path(parent) + "/" + name);
  if (::unlinkat(parent, name.c_str(), 0) != 0) return fail_errno(errno, "remove existing");
  return ok();
}

void LayerWriter::forget_parents() {
  for (auto& [path, fd] : parents_) retired_.push_back(std::move(fd));
  parents_.clear();
}

Status LayerWriter::finish() {
  // Children come after their parents in a tar: going backwards sets a directory's mode
  // only once nothing below it is left to open. The last entry for a path wins.
  std::unordered_set<std::string_view> done;
  for (auto dir = deferred_dirs_.rbegin(); dir != deferred_dirs_.rend(); ++dir) {
    if (!done.insert(dir->path).second) continue;
    // O_NOFOLLOW: a later entry may have replaced the directory with a symlink.
    auto fd = sys::openat2(root_fd_, dir->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, kInRoot);
    if (!fd) {
      int error = fd.error().sys_errno();
      if (error == ENOENT || error == ENOTDIR || error == ELOOP) continue;
      return fail(std::move(fd).error());
    }
    const struct timespec times[2] = {dir->atime, dir->mtime};
    if (::fchmod(fd->get(), dir->mode & 07777) != 0 || ::futimens(fd->get(), times) != 0) {
      return fail_errno(errno, "set mode and times of \"{}\"", dir->path);
    }
  }
  return ok();
}

}  // namespace quai::image::internal
