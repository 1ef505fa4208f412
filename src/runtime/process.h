#pragma once
// The last steps before a container process runs: who it runs as, what it may do, and
// the exec itself. Shared by the container's init and by `exec`.

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace quai::runtime {

/// Resolves args[0] against PATH from `env` (or the default PATH) inside the current root.
/// NotFound reads: executable file `x` not found in $PATH.
Result<std::string> find_executable(const std::string& name, const std::vector<std::string>& env);

/// Switches user and groups, sets capabilities, no_new_privs, umask and seccomp, closes
/// inherited fds past 2 + preserve_fds, and execs. Returns only on failure.
Error exec_process(const Process& process, const std::string& executable,
                   const SeccompProgram* seccomp, int preserve_fds, bool set_groups);

/// Makes the terminal for a process: a pty from the container's /dev/ptmx whose master
/// goes to the console socket and whose slave becomes stdio and the controlling tty.
Status setup_terminal(const Process& process, int console_socket, bool bind_dev_console);

Status set_oom_score_adj(int value);

}  // namespace quai::runtime
