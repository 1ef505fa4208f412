// The node kinds LayerWriter creates; each replaces what was at its path first.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "image/internal/layer_writer.h"
#include "image/internal/whiteout.h"

namespace quai::image::internal {
namespace {

Status write_at(int fd, std::string_view data, int64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "write");
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return ok();
}

// Data blocks carry offsets: sparse files leave holes, which ftruncate extends at the end.
Result<uint64_t> copy_data(int fd, const TarEntry& entry, TarReader& data) {
  int64_t end = 0;
  while (auto block = TRY(data.next_block())) {
    TRY(write_at(fd, block->bytes, block->offset));
    end = std::max<int64_t>(end, block->offset + static_cast<int64_t>(block->bytes.size()));
  }
  if (entry.size > end && ::ftruncate(fd, entry.size) != 0) return fail_errno(errno, "truncate");
  return static_cast<uint64_t>(std::max(end, entry.size));
}

bool is_valid_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

}  // namespace

Status LayerWriter::write_file(int parent, const EntryPath& where, const TarEntry& entry,
                               TarReader& data) {
  constexpr int kFlags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  sys::UniqueFd fd(::openat(parent, where.name.c_str(), kFlags, 0600));
  if (!fd && errno == EEXIST) {
    TRY(make_room(parent, where.name));
    fd.reset(::openat(parent, where.name.c_str(), kFlags, 0600));
  }
  if (!fd) return fail_errno(errno, "create");
  disk_size_ += TRY(copy_data(fd.get(), entry, data));
  Node node{parent, where.name, fd.get()};
  TRY(apply_metadata(node, entry, policy_));
  return apply_times(node, entry);
}

Status LayerWriter::write_directory(int parent, const EntryPath& where, const TarEntry& entry) {
  if (!where.is_root() && ::mkdirat(parent, where.name.c_str(), 0700) != 0) {
    if (errno != EEXIST) return fail_errno(errno, "mkdir");
    struct stat st;
    // An existing directory stays, with its content, as in a tar extract; anything else goes.
    if (::fstatat(parent, where.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        !S_ISDIR(st.st_mode)) {
      if (options_.keep_directory_kinds) {
        return fail(Errc::InvalidArgument, "cannot overwrite non-directory \"{}\" with directory",
                    where.name);
      }
      TRY(make_room(parent, where.name));
      if (::mkdirat(parent, where.name.c_str(), 0700) != 0) return fail_errno(errno, "mkdir");
    }
  }
  sys::UniqueFd fd(
      ::openat(parent, where.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open directory");
  // Owner and xattrs now; mode and times once the directory is filled (finish()).
  TarEntry owner_only = entry;
  owner_only.mode = S_IFDIR | 0700;
  TRY(apply_metadata(Node{parent, where.name, fd.get()}, owner_only, policy_));
  deferred_dirs_.push_back({where.full(), entry.mode, entry.atime, entry.mtime});
  return ok();
}

Status LayerWriter::write_symlink(int parent, const EntryPath& where, const TarEntry& entry) {
  // The target is stored as it is: it is only ever resolved inside the root (here through
  // RESOLVE_IN_ROOT, in the container through its own root).
  if (::symlinkat(entry.link_target.c_str(), parent, where.name.c_str()) != 0) {
    if (errno != EEXIST) return fail_errno(errno, "symlink");
    TRY(make_room(parent, where.name));
    if (::symlinkat(entry.link_target.c_str(), parent, where.name.c_str()) != 0) {
      return fail_errno(errno, "symlink");
    }
  }
  Node node{parent, where.name};
  TRY(apply_metadata(node, entry, policy_));
  return apply_times(node, entry);
}

Status LayerWriter::write_hard_link(int parent, const EntryPath& where, const TarEntry& entry) {
  auto target = TRY_CTX(clean_entry_path(entry.link_target), "hard link");
  if (target.is_root()) return fail(Errc::Corrupt, "hard link to the layer root");
  if (target.full() == where.full()) return ok();
  int target_parent = TRY_CTX(parent_fd(target.parent), "hard link target \"{}\"", target.full());
  // No AT_SYMLINK_FOLLOW: a link to a symlink links the symlink, never what it points to.
  if (::linkat(target_parent, target.name.c_str(), parent, where.name.c_str(), 0) != 0) {
    if (errno != EEXIST) return fail_errno(errno, "hard link to \"{}\"", target.full());
    TRY(make_room(parent, where.name));
    if (::linkat(target_parent, target.name.c_str(), parent, where.name.c_str(), 0) != 0) {
      return fail_errno(errno, "hard link to \"{}\"", target.full());
    }
  }
  return ok();
}

Status LayerWriter::write_special(int parent, const EntryPath& where, const TarEntry& entry) {
  mode_t type = entry.mode & S_IFMT;
  if (type != S_IFCHR && type != S_IFBLK && type != S_IFIFO) {
    log::warn("entry \"{}\": file type {:o} skipped", entry.path, type);
    return ok();
  }
  if (type != S_IFIFO && options_.rootless) {
    log::warn("entry \"{}\": device node skipped (rootless)", entry.path);
    return ok();
  }
  TRY(make_room(parent, where.name));
  if (::mknodat(parent, where.name.c_str(), type | 0600, entry.rdev) != 0) {
    return fail_errno(errno, "mknod");
  }
  Node node{parent, where.name};
  TRY(apply_metadata(node, entry, policy_));
  return apply_times(node, entry);
}

Status LayerWriter::write_whiteout(int parent, const std::string& name, const TarEntry& entry) {
  if (!is_valid_name(name)) return fail(Errc::Corrupt, "whiteout of an invalid name");
  TRY(make_room(parent, name));
  // A 0/0 character device is overlayfs's whiteout; the kernel lets anyone make one.
  if (::mknodat(parent, name.c_str(), S_IFCHR, makedev(0, 0)) != 0) {
    return fail_errno(errno, "make whiteout \"{}\"", name);
  }
  // The entry's time too: packed again, the layer must come out byte for byte the same.
  Node node{parent, name};
  TRY(apply_owner(node, entry.uid, entry.gid, policy_));
  return apply_times(node, entry);
}

Status LayerWriter::mark_opaque(int parent) {
  sys::UniqueFd dir(::openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_errno(errno, "open directory");
  static const std::string kSelf = ".";
  // Without real root, overlayfs mounted with "userxattr" reads user.overlay.* instead.
  const char* name = options_.rootless ? "user.overlay.opaque" : kOpaqueXattr;
  return apply_xattr(Node{parent, kSelf, dir.get()}, name, "y", policy_);
}

}  // namespace quai::image::internal
