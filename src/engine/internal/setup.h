#pragma once
// What the monitor prepares before the runtime creates the container: the overlay root
// in its private mount namespace, /etc/hostname, /etc/hosts and /etc/resolv.conf, and the
// host side of every mount.

#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "engine/spec_builder.h"

namespace quai::engine::internal {

/// Enters a private mount namespace and mounts the container's overlay root there.
Status mount_container_root(Engine& engine, const ContainerRecord& record);
Status write_etc_files(Engine& engine, const ContainerRecord& record);
/// Turns --mount/-v/--tmpfs requests into runtime mounts; named volumes are created on
/// first use.
Result<std::vector<ResolvedMount>> resolve_mounts(Engine& engine, const ContainerRecord& record);

}  // namespace quai::engine::internal
