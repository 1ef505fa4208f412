#pragma once
// Turns a container record (image config merged with the user's flags at create time)
// into the OCI runtime spec the runtime library runs, with Docker's defaults.

#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "engine/container.h"
#include "engine/user.h"

namespace quai::engine {

/// A mount with its host side resolved (a volume's _data dir, a bind source).
struct ResolvedMount {
  std::string type;  // bind, tmpfs
  std::string source;
  std::string destination;
  std::vector<std::string> options;
};

struct SpecInputs {
  std::string rootfs;         // absolute, the overlay mount point
  std::string container_dir;  // holds hostname, hosts and resolv.conf
  ResolvedUser user;
  std::vector<ResolvedMount> mounts;
  std::string init_binary;        // --init: bound read-only at /sbin/docker-init
  std::string network_namespace;  // --network container:ID: that init's /proc/PID/ns/net
};

/// The spec as JSON (config.json of the bundle). InvalidArgument for a bad flag value
/// (an unknown capability, an unreadable seccomp profile), naming the flag.
Result<Json> build_oci_spec(const ContainerRecord& record, const SpecInputs& inputs);

/// The arguments the container runs: entrypoint + cmd (InvalidArgument when both are
/// empty: "No command specified").
Result<std::vector<std::string>> container_args(const ContainerRecord& record);

}  // namespace quai::engine
