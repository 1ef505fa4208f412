#pragma once
// Facts about processes read from /proc, and waiting for them.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/result.h"

namespace quai::sys {

/// Field 22 of /proc/PID/stat (start time in clock ticks): with the pid, it identifies a
/// process across pid reuse. NotFound when the process is gone.
Result<uint64_t> process_start_time(pid_t pid);
/// True when pid is alive (not a zombie) and started at start_time.
bool is_same_process_alive(pid_t pid, uint64_t start_time);

/// waitpid that retries EINTR; returns the shell-style exit code (128+signal when killed).
Result<int> wait_exit_code(pid_t pid);
/// Waits at most `timeout` for the child; nullopt on timeout.
Result<std::optional<int>> wait_exit_code_for(pid_t pid, std::chrono::milliseconds timeout);
int exit_code_from_status(int status);

}  // namespace quai::sys
