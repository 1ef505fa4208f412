#pragma once
// The container's root filesystem, set up by its init process inside the new mount
// namespace: mounts, /dev, pivot_root, then masked and read-only paths and sysctls.

#include <string>

#include "base/result.h"
#include "runtime/cgroup.h"
#include "runtime/spec.h"
#include "sys/fd.h"

namespace quai::runtime {

struct RootfsContext {
  const Spec* spec;
  std::string bundle;
  const CgroupLayout* cgroups;
  std::string cgroup_path;
  bool user_ns = false;
  bool cgroup_ns = false;
};

/// Before pivot_root: propagation, the rootfs bind, config mounts in order, /dev nodes
/// and symlinks. Returns an O_PATH fd of the rootfs.
Result<sys::UniqueFd> prepare_rootfs(const RootfsContext& context);
/// Makes rootfs the new "/" (pivot_root, or MS_MOVE + chroot with no_pivot; only chroot
/// without a mount namespace of its own).
Status enter_rootfs(int root_fd, const std::string& rootfs, bool no_pivot, bool has_mount_ns);
/// After pivot_root: masked and read-only paths, sysctls, read-only root, propagation.
Status finish_rootfs(const Spec& spec);
/// Detaches what a container without a mount namespace mounted under its rootfs: those
/// mounts live in the runtime's own mount table and outlive the container.
Status release_host_mounts(const std::string& rootfs);
/// Binds the terminal's slave over /dev/console (call after enter_rootfs).
Status bind_console(int slave_fd);

}  // namespace quai::runtime
