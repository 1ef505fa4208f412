#pragma once
// Container verbs over the engine: start (through a monitor), stop, kill, remove, wait,
// and the client side of attaching to a monitor.

#include <optional>
#include <string_view>

#include "base/result.h"
#include "engine/engine.h"
#include "sys/fd.h"

namespace quai::engine {

/// Spawns the monitor and waits until the container runs. Returns the attach socket.
/// A failed start carries Docker's exit code in `start_exit_code` (125/126/127).
Result<sys::UniqueFd> start_container(Engine& engine, const ContainerView& view);
/// The exit code Docker's CLI gives for a failed start (kept beside the error text).
int start_failure_exit_code(const Error& error);

/// SIGTERM (or the container's stop signal), then SIGKILL after the timeout.
Status stop_container(Engine& engine, const ContainerView& view, std::optional<int> timeout);
Status kill_container(Engine& engine, const ContainerView& view, int signal);
/// Busy for a running container unless force (then it is killed first).
Status remove_container(Engine& engine, const ContainerView& view, bool force, bool remove_volumes);
/// Blocks until the container is not running and returns its exit code.
Result<int> wait_container(Engine& engine, std::string_view name_or_id);

/// Busy "container X is not running" unless it runs (paused counts).
Status require_running(const ContainerView& view);

/// Connects to a running container's monitor, for attach_session. Busy when it is not
/// running.
Result<sys::UniqueFd> connect_to_monitor(Engine& engine, const ContainerView& view);

struct AttachOptions {
  bool forward_stdin = false;
  bool tty = false;  // put the terminal in raw mode and forward its size
};
/// Relays the monitor's frames to stdout/stderr (and stdin to it) until the container
/// exits; returns its exit code, or nullopt when the monitor went away without one.
Result<std::optional<int>> attach_session(int socket, const AttachOptions& options);

}  // namespace quai::engine
