#pragma once
// `exec`: another process in a running container, started by the CLI itself through the
// runtime library (the monitor is not involved; the process is the CLI's child and the
// CLI relays its terminal when it has one).

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"

namespace quai::engine {

struct ExecRequest {
  std::vector<std::string> args;
  std::string user;         // empty: the container's
  std::string working_dir;  // empty: the container's
  std::vector<std::string> env;
  bool interactive = false;  // keep stdin (otherwise the process reads /dev/null)
  bool tty = false;
  bool detach = false;
};

struct ExecExit {
  int code = 0;  // the process's; Docker's 126/127 when it could not be started
  std::optional<Error> launch_error;
};

/// Runs the request's command in a running container and waits for it (not when
/// detached). Errors are the engine's (no such container, not running: exit 1 as Docker
/// has it); a command that cannot be started comes back as an ExecExit with its error.
Result<ExecExit> exec_in_container(Engine& engine, const ContainerView& view,
                                   const ExecRequest& request);

}  // namespace quai::engine
