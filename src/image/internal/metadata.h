#pragma once
// Ownership, modes, xattrs and times of extracted nodes, with the rules that keep a layer
// from smuggling host-level metadata (overlayfs xattrs, SELinux labels) into the layer.

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "image/internal/tar_reader.h"

namespace quai::image::internal {

/// A node just created: an open fd (files, directories) or a name in a parent directory
/// (symlinks, devices, fifos), never followed.
struct Node {
  int parent_fd;
  const std::string& name;
  int fd = -1;
};

struct MetadataPolicy {
  bool rootless = false;
  bool is_root = false;  // euid 0: trusted.* xattrs can be set
};

/// Whether a layer's xattr may be applied: user.* and security.capability always,
/// trusted.* as root, never overlayfs's own (trusted.overlay.*, user.overlay.*) nor other
/// security.* (labels are the host's to give).
bool xattr_allowed(std::string_view name, const MetadataPolicy& policy);

/// chown, then chmod (chown clears set-id bits), then xattrs (after the data and chown, which
/// drop security.capability). Rootless: ownership and xattrs the kernel refuses are skipped.
Status apply_metadata(const Node& node, const TarEntry& entry, const MetadataPolicy& policy);
Status apply_owner(const Node& node, uid_t uid, gid_t gid, const MetadataPolicy& policy);
Status apply_xattr(const Node& node, const char* name, std::string_view value,
                   const MetadataPolicy& policy);
Status apply_times(const Node& node, const TarEntry& entry);

}  // namespace quai::image::internal
