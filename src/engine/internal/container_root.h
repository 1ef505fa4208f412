#pragma once
// A container's root file system as its processes see it, for commands that read or
// write inside it (`cp`) whether the container runs or not.

#include <functional>

#include "base/result.h"
#include "engine/engine.h"

namespace quai::engine::internal {

enum class RootAccess { Read, Write };

/// Calls `work` with a directory fd of the container's root. A running container's root
/// is /proc/<init>/root: its volumes, binds and /etc files are mounted there. Otherwise
/// `work` runs in a child process, in a private mount namespace holding the overlay
/// (without an upper layer, read-only, for RootAccess::Read) and the volumes and binds
/// whose mount points exist; nothing outlives the child. The container's lock is held
/// meanwhile, so it is not removed under the work. The child's error is returned.
Status with_container_root(Engine& engine, const ContainerView& view, RootAccess access,
                           const std::function<Status(int root_fd)>& work);

}  // namespace quai::engine::internal
