#pragma once
// The flags of `run` and `create`, parsed into a container request with Docker's syntax.

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "engine/create.h"

namespace quai::cli {

struct RunFlags {
  bool detach = false, interactive = false, tty = false, auto_remove = false;
  bool read_only = false, privileged = false, init = false, publish_all = false;
  std::string name, workdir, user, entrypoint, hostname, memory, cpus, restart = "no";
  std::string ip, stop_signal;
  std::vector<std::string> networks;  // none when not given
  std::optional<int> stop_timeout;
  int64_t pids_limit = 0;
  std::vector<std::string> env, env_files, ulimits, cap_add, cap_drop, security_opt;
  std::vector<std::string> volumes, mounts, tmpfs, labels, network_aliases, links;
  std::vector<std::string> publish, expose, add_hosts, dns, dns_search, dns_options;
  bool entrypoint_given = false;
};

void add_run_flags(CLI::App& command, RunFlags& flags);
/// --env-file contents, then -e values ("-e NAME" takes the CLI's own value), in order.
Result<std::vector<std::string>> read_env_flags(const std::vector<std::string>& env,
                                                const std::vector<std::string>& env_files);
/// Builds the request; InvalidArgument names the flag and quotes the bad value.
Result<engine::ContainerRequest> make_request(const RunFlags& flags,
                                              const std::vector<std::string>& image_and_args);

}  // namespace quai::cli
