#pragma once
// RUN --mount: cache dirs kept between builds, tmpfs, binds from the context or another
// stage, secrets given by `quai build --secret` (a copy in the step's dir, bound read-only).

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "build/dockerfile.h"
#include "build/plan.h"
#include "engine/build_step.h"

namespace quai::build::internal {

struct Session;

struct RunMount {
  std::string type;    // cache, tmpfs, bind, secret
  std::string target;  // absolute in the container
  std::string source;  // bind: path in the context or the stage; cache: sub dir of `from`
  std::string from;    // bind, cache: a stage or an image
  std::string id;      // cache, secret
  std::optional<bool> read_only;  // default: binds read-only, caches writable
  bool required = false;          // secret
  std::string size;               // tmpfs
  std::string mode, uid, gid;     // cache, secret
};

/// Parses every --mount flag ("type=cache,target=/root/.cache"), values expanded.
Result<std::vector<RunMount>> parse_run_mounts(
    const Instruction& instruction,
    const std::function<Result<std::string>(const std::string&)>& expand);
/// Text for the cache key: what the mounts are, not what caches hold.
std::string describe_mounts(const std::vector<RunMount>& mounts);
/// What the step's binds read, for the cache key: the content of context sources (as
/// COPY hashes them), the id of a stage or image mounted with from=.
Result<std::string> describe_mount_inputs(Session& session, const quai::build::Stage& stage,
                                          const std::vector<RunMount>& mounts);
/// Host sides for the runtime: cache dirs made under <root>/build-cache-mounts, binds
/// mounted read-only (unless rw) in the step's dir, tmpfs as is.
Result<std::vector<engine::ResolvedMount>> resolve_run_mounts(Session& session,
                                                              const quai::build::Stage& stage,
                                                              const std::vector<RunMount>& mounts,
                                                              const engine::StepRoot& root);

}  // namespace quai::build::internal
