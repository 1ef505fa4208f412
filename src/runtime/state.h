#pragma once
// What a container leaves on disk under the runtime root (default /run/quai-runtime):
//   <root>/<id>/state.json   this struct, replaced atomically
//   <root>/<id>/config.json  the bundle's config as it was at create time
//   <root>/<id>/exec.fifo    present between create and start

#include <sys/types.h>

#include <map>
#include <string>

#include "base/json.h"
#include "base/result.h"
#include "base/time.h"
#include "sys/fd.h"

namespace quai::runtime {

enum class ContainerStatus { Creating, Created, Running, Paused, Stopped };
std::string_view status_name(ContainerStatus status);

struct ContainerState {
  std::string id;
  std::string bundle;
  std::string rootfs;
  std::string oci_version;
  std::string created;  // RFC 3339
  std::string owner;
  std::string cgroup_path;
  std::string cgroup_owned_from;  // the first level of cgroup_path that create made
  pid_t pid = 0;
  uint64_t start_time = 0;  // of pid, to detect pid reuse
  std::map<std::string, std::string> annotations;

  Json to_json() const;
  static Result<ContainerState> from_json(const Json& json, std::string_view origin);
};

/// Paths of one container's state directory.
class StateDir {
 public:
  StateDir(const std::string& root, const std::string& id) : dir_(root + "/" + id) {}
  const std::string& dir() const { return dir_; }
  std::string state_file() const { return dir_ + "/state.json"; }
  std::string config_file() const { return dir_ + "/config.json"; }
  std::string fifo() const { return dir_ + "/exec.fifo"; }

  Status save(const ContainerState& state) const;
  /// An exclusive flock on the state dir, held while a command changes the container
  /// (create, start, delete, pause, update), so that two commands do not interleave.
  /// NotFound when the container does not exist.
  Result<sys::UniqueFd> lock() const;
  Result<ContainerState> load() const;

 private:
  std::string dir_;
};

/// Container ids: letters, digits, "_", "+", "-", "." (not "." or ".."), at most 1024 chars.
Status validate_container_id(const std::string& id);

}  // namespace quai::runtime
