#include "image/internal/metadata.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cerrno>
#include <cstring>

#include "base/log.h"
#include "sys/fs.h"

namespace quai::image::internal {
namespace {

// Errors that mean "not allowed here" rather than "broken": expected without real root.
bool refused_rootless(int error, const MetadataPolicy& policy) {
  return policy.rootless && (error == EPERM || error == EINVAL || error == ENOTSUP);
}

int set_xattr(const Node& node, const char* name, std::string_view value) {
  if (node.fd >= 0) return ::fsetxattr(node.fd, name, value.data(), value.size(), 0);
  // Through the parent's /proc/self/fd entry: the parent is already resolved inside the
  // root, and lsetxattr does not follow the last component.
  std::string path = sys::fd_path(node.parent_fd) + "/" + node.name;
  return ::lsetxattr(path.c_str(), name, value.data(), value.size(), 0);
}

}  // namespace

bool xattr_allowed(std::string_view name, const MetadataPolicy& policy) {
  if (name.starts_with("user.overlay.") || name.starts_with("trusted.overlay.")) return false;
  if (name.starts_with("user.")) return true;
  if (name == "security.capability") return true;
  if (name.starts_with("trusted.")) return policy.is_root && !policy.rootless;
  return false;
}

Status apply_owner(const Node& node, uid_t uid, gid_t gid, const MetadataPolicy& policy) {
  int rc = node.fd >= 0
               ? ::fchown(node.fd, uid, gid)
               : ::fchownat(node.parent_fd, node.name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW);
  if (rc == 0 || refused_rootless(errno, policy)) return ok();
  return fail_errno(errno, "chown {}:{}", uid, gid);
}

Status apply_xattr(const Node& node, const char* name, std::string_view value,
                   const MetadataPolicy& policy) {
  if (set_xattr(node, name, value) == 0) return ok();
  if (refused_rootless(errno, policy)) {
    log::warn("xattr {} on \"{}\" not applied: {}", name, node.name, std::strerror(errno));
    return ok();
  }
  return fail_errno(errno, "set xattr {}", name);
}

Status apply_metadata(const Node& node, const TarEntry& entry, const MetadataPolicy& policy) {
  TRY(apply_owner(node, entry.uid, entry.gid, policy));
  mode_t mode = entry.mode & 07777;
  if (!S_ISLNK(entry.mode)) {
    int rc = node.fd >= 0 ? ::fchmod(node.fd, mode)
                          : ::fchmodat(node.parent_fd, node.name.c_str(), mode, 0);
    if (rc != 0) return fail_errno(errno, "chmod {:o}", mode);
  }
  for (const auto& [name, value] : entry.xattrs) {
    if (!xattr_allowed(name, policy)) {
      log::debug("xattr {} on \"{}\" skipped", name, node.name);
      continue;
    }
    TRY(apply_xattr(node, name.c_str(), value, policy));
  }
  return ok();
}

Status apply_times(const Node& node, const TarEntry& entry) {
  const struct timespec times[2] = {entry.atime, entry.mtime};
  int rc = node.fd >= 0
               ? ::futimens(node.fd, times)
               : ::utimensat(node.parent_fd, node.name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  if (rc != 0) return fail_errno(errno, "set times");
  return ok();
}

}  // namespace quai::image::internal
