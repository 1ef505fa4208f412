#pragma once
// A container as the engine keeps it: what the user asked for (ContainerRecord, written
// once at create, in the shape of Docker's inspect "Config" and "HostConfig") and what
// happened to it (ContainerRunState, replaced atomically by the monitor and the CLI).
//
//   containers/<id>/container.json   the record
//   containers/<id>/state.json       the run state
//   containers/<id>/config.json      the OCI spec made at each start (the runtime bundle)
//   containers/<id>/{upper,work,rootfs}  the overlay's writable layer and mount point
//   containers/<id>/<id>-json.log    stdout/stderr in Docker's json-file shape
//   names/<name> → <id>              a symlink; creating it is how a name is claimed

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "engine/ports.h"
#include "image/digest.h"

namespace quai::engine {

struct MountRequest {
  std::string type;    // bind, volume, tmpfs
  std::string source;  // host path, volume name (empty: anonymous)
  std::string target;
  bool read_only = false;
  std::string propagation;  // bind: rprivate, rslave, ...
  int64_t tmpfs_size = 0;
  uint32_t tmpfs_mode = 0;
  bool no_copy = false;  // volume: never filled from the image (volume-nocopy)
};

struct Ulimit {
  std::string name;
  int64_t soft = 0;
  int64_t hard = 0;
};

/// A network joined beyond the first (NetworkMode's): `network connect`, or a second
/// --network; one element of NetworkingConfig.EndpointsConfig.
struct NetworkAttachment {
  std::string network;  // its name
  std::string ipv4_address;
  std::vector<std::string> aliases;
};

struct RestartPolicy {
  std::string name = "no";  // no, on-failure, always, unless-stopped
  int max_retries = 0;
};

struct ContainerRecord {
  std::string id;
  std::string name;
  std::string created;
  std::string image;  // as given by the user
  image::Digest image_id = image::Digest::of_nothing();
  std::vector<image::Digest> layers;  // diff_ids, lowest first (pins them against GC)

  // Config
  std::string hostname;
  std::string user;
  std::string working_dir;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::map<std::string, std::string> labels;
  std::string stop_signal = "SIGTERM";
  int stop_timeout = 10;
  bool tty = false;
  bool open_stdin = false;
  std::vector<std::string> image_volumes;  // VOLUME entries of the image
  std::vector<std::string> exposed_ports;  // "80/tcp": the image's EXPOSE and --expose

  // HostConfig
  bool auto_remove = false;
  bool read_only = false;
  bool privileged = false;
  bool init = false;
  std::string network_mode = "none";         // none, host, container:ID, or a network's name
  std::string ipv4_address;                  // --ip: the address wanted on that network
  std::vector<std::string> network_aliases;  // --network-alias: more names for it there
  std::vector<std::string> links;            // --link NAME[:ALIAS]
  std::vector<NetworkAttachment> more_networks;
  // `network disconnect` from NetworkMode's network, which stays named there (as in Docker):
  // the record's EndpointsConfig no longer lists it.
  bool left_network_mode = false;
  std::vector<std::string> extra_hosts;  // --add-host NAME:IP
  std::vector<std::string> dns, dns_search, dns_options;
  std::vector<PortBinding> port_bindings;  // -p
  bool publish_all = false;                // -P: every exposed port, on a port of the kernel's
  int64_t memory = 0;
  int64_t nano_cpus = 0;
  int64_t pids_limit = 0;
  std::vector<Ulimit> ulimits;
  std::vector<std::string> cap_add;
  std::vector<std::string> cap_drop;
  std::vector<std::string> security_opt;
  std::vector<MountRequest> mounts;
  RestartPolicy restart;

  Json to_json() const;
  static Result<ContainerRecord> from_json(const Json& json, std::string_view origin);
};

enum class RunStatus { Created, Running, Paused, Restarting, Exited, Dead };
std::string_view run_status_name(RunStatus status);

struct ContainerRunState {
  RunStatus status = RunStatus::Created;
  pid_t pid = 0;
  uint64_t pid_start_time = 0;
  pid_t monitor_pid = 0;
  uint64_t monitor_start_time = 0;
  int exit_code = 0;
  bool oom_killed = false;
  bool stopped_by_user = false;  // a stop or kill: no restart, even for "always"
  int restart_count = 0;
  std::vector<PublishedPort> ports;  // while running: what -p and -P got
  std::string error;
  std::string started_at;  // RFC 3339; "0001-01-01T00:00:00Z" when never
  std::string finished_at;

  Json to_json() const;
  static Result<ContainerRunState> from_json(const Json& json, std::string_view origin);
};

inline constexpr std::string_view kZeroTime = "0001-01-01T00:00:00Z";

}  // namespace quai::engine
