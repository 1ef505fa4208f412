#pragma once
// Facts about processes (and the running kernel) read from /proc, and waiting for them.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace quai::sys {

/// Field 22 of /proc/PID/stat (start time in clock ticks): with the pid, it identifies a
/// process across pid reuse. NotFound when the process is gone.
Result<uint64_t> process_start_time(pid_t pid);
/// This process's start time, read once per process (a fork reads its own).
uint64_t own_start_time();
/// True when pid is alive (not a zombie) and started at start_time.
bool is_same_process_alive(pid_t pid, uint64_t start_time);

/// This boot's random id (/proc/sys/kernel/random/boot_id), read once; empty when unreadable.
/// A value written to disk that differs from it was written before the last restart.
const std::string& boot_id();

/// waitpid that retries EINTR; returns the shell-style exit code (128+signal when killed).
Result<int> wait_exit_code(pid_t pid);
/// Waits at most `timeout` for the child; nullopt on timeout.
Result<std::optional<int>> wait_exit_code_for(pid_t pid, std::chrono::milliseconds timeout);
int exit_code_from_status(int status);

/// Runs a program (found in $PATH, no shell) and returns its standard output; stderr is
/// left to ours. The error names the program and its exit status.
Result<std::string> command_output(const std::vector<std::string>& argv);
/// The host's ps(1) run with `ps_args` (none: -ef), cut to its header and the lines of
/// `pids`: what `runc ps` and `docker top` print. InvalidArgument when the output has no
/// PID column.
Result<std::string> ps_of(const std::vector<pid_t>& pids, const std::vector<std::string>& ps_args);

}  // namespace quai::sys
