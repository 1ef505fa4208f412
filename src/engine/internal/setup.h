#pragma once
// What the monitor prepares before the runtime creates the container: the overlay root
// in its private mount namespace, /etc/hostname, /etc/hosts and /etc/resolv.conf, and the
// host side of every mount.

#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "engine/internal/networking.h"
#include "engine/spec_builder.h"

namespace quai::engine::internal {

/// Enters a private mount namespace and mounts the container's overlay root there
/// (read-only, without taking the upper and work dirs, when `read_only`).
Status mount_container_root(Engine& engine, const ContainerRecord& record, bool read_only = false);
Status write_etc_files(Engine& engine, const ContainerRecord& record,
                       const std::vector<Endpoint>& endpoints);
/// Turns --mount/-v/--tmpfs requests into runtime mounts; named volumes are created on
/// first use and filled from the image at `rootfs_fd` (populate_volume) unless nocopy.
Result<std::vector<ResolvedMount>> resolve_mounts(Engine& engine, const ContainerRecord& record,
                                                  int rootfs_fd);
/// The init for --init: Debian's static tini (it runs in any image), else the dynamic one.
/// NotFound when tini is not installed.
Result<std::string> find_init_binary();

}  // namespace quai::engine::internal
