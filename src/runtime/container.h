#pragma once
// The runtime's operations, as the OCI runtime command line exposes them. The CLI
// (quai-runtime) and the engine both call these.

#include <sys/types.h>

#include <array>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "runtime/cgroup.h"
#include "runtime/spec.h"
#include "runtime/state.h"
#include "sys/fd.h"

namespace quai::runtime {

struct RuntimeOptions {
  std::string root = "/run/quai-runtime";
  bool systemd_cgroup = false;
};

struct CreateOptions {
  std::string id;
  std::string bundle;  // absolute
  /// The config itself, instead of reading bundle/config.json: the engine's monitor,
  /// which made it in memory, spares a file on the store's disk.
  std::string config_text;
  std::string pid_file;
  std::string console_socket;
  int console_socket_fd = -1;  // an already connected socket instead of a path (the engine)
  bool no_pivot = false;
  int preserve_fds = 0;
  bool inherit_terminal = false;  // `run` in the foreground: a terminal process keeps our stdio
  /// The init's fds 0-2 (-1: ours): callers with several threads (a build running stages
  /// in parallel) cannot swap their own.
  std::array<int, 3> stdio = {-1, -1, -1};
};

/// A container as found under the runtime root: its state and the config it was made with.
struct Container {
  StateDir dir;
  ContainerState state;
  Spec spec;

  ContainerStatus status() const;
  Cgroup cgroup() const;
  /// The state document of the runtime spec (ociVersion, id, status, pid, bundle, ...).
  Json oci_state() const;
};

/// A created container's init process, for callers that wait on it (run).
struct Launched {
  pid_t pid = 0;
  sys::UniqueFd pidfd;
  Container container;  // as create saved it, for start_created
};

/// InvalidArgument "cannot <action> container "id": it is <status>" unless the container's
/// status is one of `allowed`.
Status require_status(const Container& container, std::initializer_list<ContainerStatus> allowed,
                      std::string_view action);

Result<Container> load_container(const RuntimeOptions& options, const std::string& id);
/// The ids of the containers under the runtime root, sorted (some may be half created).
Result<std::vector<std::string>> container_ids(const RuntimeOptions& options);
Result<std::vector<Container>> list_containers(const RuntimeOptions& options);

/// Sets up the container and leaves its init waiting for start.
Result<Launched> create_container(const RuntimeOptions& options, const CreateOptions& create);
Status start_container(const RuntimeOptions& options, const std::string& id);
/// start_container for the caller of create, without reading back what create saved.
Status start_created(const Launched& launched);
Status kill_container(const RuntimeOptions& options, const std::string& id, int signal, bool all);
/// Removes a stopped container; with force, kills it first.
Status delete_container(const RuntimeOptions& options, const std::string& id, bool force);
Status pause_container(const RuntimeOptions& options, const std::string& id, bool pause);
Status update_container(const RuntimeOptions& options, const std::string& id,
                        const Resources& resources);
Result<std::vector<pid_t>> container_pids(const RuntimeOptions& options, const std::string& id);

struct ExecOptions {
  Process process;
  std::string console_socket;
  int console_socket_fd = -1;  // an already connected socket instead of a path (the engine)
  std::string pid_file;
  bool detach = false;
  int preserve_fds = 0;
};

/// Runs a new process in a running container. Detached: returns 0 once it runs;
/// otherwise waits and returns its exit code.
Result<int> exec_in_container(const RuntimeOptions& options, const std::string& id,
                              const ExecOptions& exec);
/// Starts the process and returns its pid at once (it is the caller's child); the caller
/// waits for it. `exec.detach` is ignored.
Result<pid_t> spawn_exec(const RuntimeOptions& options, const std::string& id,
                         const ExecOptions& exec);

/// Parses "KILL", "SIGKILL", "9".
Result<int> parse_signal(std::string_view text);

}  // namespace quai::runtime
