#pragma once
// The container's init process: the code that runs between clone and exec.

#include <array>
#include <optional>
#include <string>

#include "runtime/cgroup.h"
#include "runtime/internal/sync.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace quai::runtime::internal {

struct InitConfig {
  const Spec* spec = nullptr;
  std::string bundle;
  int exec_fifo_fd = -1;  // exec.fifo opened read-write: `start` writes a byte to it
  int console_socket = -1;
  int state_lock_fd = -1;  // the runtime's lock on the state dir: the init must not keep it  //
                           // connected, when process.terminal
  const CgroupLayout* cgroups = nullptr;
  std::string cgroup_path;
  const SeccompProgram* seccomp = nullptr;
  bool no_pivot = false;
  int preserve_fds = 0;
  std::array<int, 3> stdio = {-1, -1, -1};  // CreateOptions::stdio
  bool double_fork = false;  // user namespace or pid namespace by path: see create.cc
  bool new_user_ns = false;
  bool new_cgroup_ns = false;
  int unshare_flags = 0;  // namespaces created after joining (double_fork only)
  // The init moves itself into its v1 cgroups (and the unified one unless it was cloned
  // into it): see Cgroup::join_as_current.
  bool joins_cgroup_itself = false;
  bool cloned_into_unified = false;
};

/// Runs in the cloned child; never returns. Errors before "ready" go to the parent over
/// the channel, later ones to the container's stderr.
[[noreturn]] void run_init(const InitConfig& config, SyncChannel& channel);

}  // namespace quai::runtime::internal
