#pragma once
// The per-container monitor (in the spirit of conmon): a small single-threaded process
// forked by the CLI that owns the container once the CLI returns. It mounts the overlay
// root in a mount namespace of its own (so the mount cannot outlive it, whatever kills
// it), creates and starts the container through the runtime library in process, keeps
// stdout/stderr in the json-file log and relays them to attached clients, records the
// exit code and times, applies the restart policy, and removes an --rm container.

#include "base/result.h"
#include "engine/engine.h"
#include "sys/fd.h"

namespace quai::engine {

/// Forks the monitor for a created or exited container and returns the CLI's end of its
/// attach socket: frames (internal/frames.h) report Started or Error, the output, and
/// Exited. The monitor lives on when the socket is closed (detached run).
Result<sys::UniqueFd> spawn_monitor(Engine& engine, const ContainerRecord& record);

}  // namespace quai::engine
