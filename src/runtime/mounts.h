#pragma once
// Mounts from config.json, made inside the container's new mount namespace before
// pivot_root. Every destination is resolved inside the rootfs (openat2 RESOLVE_IN_ROOT)
// and mounted through /proc/self/fd/N, so a symlink in the image cannot redirect a
// mount onto the host.

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/cgroup.h"
#include "runtime/spec.h"

namespace quai::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_* to set
  unsigned long propagation = 0;  // MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC)
  std::string data;               // filesystem-specific options
  bool bind = false;
  bool recursive_bind = false;
};

/// Splits options into flags, propagation and data; an unsupported option is an error.
Result<MountOptions> parse_mount_options(const std::vector<std::string>& options);
/// Propagation names as used by rootfsPropagation ("rslave" → MS_SLAVE|MS_REC).
unsigned long propagation_flags(std::string_view name);

struct MountContext {
  int root_fd;                  // O_PATH fd of the rootfs
  std::string bundle;           // relative bind sources are relative to it
  const CgroupLayout* cgroups;  // for "cgroup" mounts
  std::string cgroup_path;      // the container's cgroup, for binds without a cgroup ns
  bool cgroup_ns = false;
  bool user_ns = false;
};

/// Makes one mount; errors name its destination.
Status mount_entry(const MountContext& context, const Mount& mount);

}  // namespace quai::runtime
