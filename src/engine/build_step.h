#pragma once
// A build step's root and its RUN container. `quai build` runs each RUN as a container
// through the runtime, as `run` does, but without a monitor and without a record in
// containers/: the build process owns it from create to delete. The build enters a
// private mount namespace once, before its threads start, so every overlay it mounts
// goes away with it however it ends.

#include <array>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/container.h"
#include "engine/engine.h"
#include "engine/spec_builder.h"

namespace quai::engine {

/// The step's directory layout: rootfs/ (the overlay), upper/, work/, empty/, and the
/// /etc files given to RUN containers.
struct StepRoot {
  std::string dir;
  std::string rootfs() const { return dir + "/rootfs"; }
  std::string upper() const { return dir + "/upper"; }
};

/// Enters a private mount namespace (the build process calls this once, before it starts
/// threads: a process with threads cannot leave the one it shares).
Status enter_build_mount_namespace();

/// Makes `dir` and mounts an overlay at dir/rootfs: `lower_dirs` (lowest first; none for
/// scratch) under a fresh upper dir, which afterwards holds what the step changed.
Result<StepRoot> mount_step_root(const std::string& dir,
                                 const std::vector<std::string>& lower_dirs);
/// Mounts a read-only view of an image's layers (lowest first) at `path` (made here), for
/// COPY --from and RUN --mount from=.
Status mount_image_view(const std::string& path, const std::vector<std::string>& lower_dirs);
/// Unmounts the step's overlay and everything the step mounted in its dir (RUN --mount
/// binds, COPY --from views); the upper dir stays, to be packed.
void unmount_step(const StepRoot& root);

struct StepContainer {
  std::string id;          // unique among the build's containers
  ContainerRecord record;  // user, working_dir, env, cmd (the command), network_mode,
                           // mounts (binds and tmpfs only), hostname
  std::vector<ResolvedMount> extra_mounts;  // RUN --mount: caches, secrets, binds
  std::array<int, 3> stdio = {-1, -1, -1};
};

/// Runs `container` on the mounted `root` and returns its exit code: 0 for success, the
/// command's code otherwise (127 not found, 126 not executable, 128+N killed by N).
Result<int> run_step_container(Engine& engine, const StepRoot& root,
                               const StepContainer& container);

}  // namespace quai::engine
