#pragma once
// The engine: containers and volumes on one host, over the image store and the runtime
// library. There is no daemon: every command opens the engine, reads what it needs from
// disk, and a per-container monitor process (monitor.h) owns each running container.
// Safe across processes: names are claimed with symlinks, each container's changes are
// serialised by a lock on its directory, and state files are replaced atomically.

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/container.h"
#include "image/image_store.h"
#include "runtime/container.h"
#include "store/lock.h"
#include "store/temp_area.h"

namespace quai::engine {

struct EngineOptions {
  std::string root = "/var/lib/quai";
  std::string run_root;  // default: /run/quai for the default root, <root>/run otherwise
};

/// A container's record with its run state as it really is now (a dead monitor and a
/// dead init are noticed and recorded).
struct ContainerView {
  ContainerRecord record;
  ContainerRunState state;
};

class Engine {
 public:
  static Result<Engine> open(const EngineOptions& options);

  image::ImageStore& images() { return images_; }
  const std::string& root() const { return root_; }
  const std::string& run_root() const { return run_root_; }
  runtime::RuntimeOptions runtime_options() const { return {run_root_ + "/runtime", false}; }
  std::string container_dir(std::string_view id) const {
    return root_ + "/containers/" + std::string(id);
  }
  /// The container's record (container.json), replaced whole on each change.
  std::string record_path(std::string_view id) const {
    return container_dir(id) + "/container.json";
  }
  std::string log_path(std::string_view id) const {
    return container_dir(id) + "/" + std::string(id) + "-json.log";
  }
  std::string attach_socket(std::string_view id) const {
    return run_root_ + "/" + std::string(id).substr(0, 32) + ".sock";
  }

  /// Writes a new container's record: allocates the id, claims the name (AlreadyExists
  /// "Conflict. The container name "/x" is already in use…" as Docker says), makes its
  /// directory whole in tmp/ and renames it into place.
  Result<ContainerRecord> create_container(ContainerRecord draft);
  Result<std::vector<ContainerView>> list_containers();
  /// By name, full id or unique id prefix. NotFound "No such container: X".
  Result<ContainerView> find_container(std::string_view name_or_id);
  Result<ContainerRunState> read_state(const ContainerRecord& record);
  /// The state as last written, without checking that its processes still live.
  Result<ContainerRunState> read_recorded_state(std::string_view id);
  Status write_state(std::string_view id, const ContainerRunState& state);
  /// Under the container's lock: reads the recorded state (a default one when it cannot be
  /// read), applies `change` and writes it back.
  Status update_state(std::string_view id, const std::function<void(ContainerRunState&)>& change);
  /// The per-container lock for state transitions (start, stop, rm, exit recording).
  Result<store::FileLock> lock_container(std::string_view id);
  /// Takes a stopped container's name and files away (its directory is renamed into
  /// tmp/ first, so it disappears at once), then deletes them.
  Status remove_container_files(const ContainerRecord& record);
  /// The same in two steps: the container is gone for every reader when this returns;
  /// its files go with the returned work dir (the overlay must be unmounted first).
  Result<store::WorkDir> take_container_files(const ContainerRecord& record);
  Status rename_container(std::string_view name_or_id, std::string_view new_name);

  std::set<image::Digest> images_in_use();
  std::set<image::Digest> pinned_layers();
  /// Sweeps what crashed commands left in tmp/ and, when something was left, collects
  /// garbage so that no orphan blob or layer remains.
  Status recover();

  /// The record of the container with this full id, its state left unread (and unchecked).
  Result<ContainerRecord> read_record(std::string_view id);
  /// Replaces the record (the caller holds the container's lock).
  Status write_record(const ContainerRecord& record);

 private:
  void delete_orphan_runtime_state();
  Engine(std::string root, std::string run_root, image::ImageStore images)
      : root_(std::move(root)), run_root_(std::move(run_root)), images_(std::move(images)) {}

  Result<std::string> resolve_container_id(std::string_view name_or_id);
  /// Removes a container whose name was never claimed, unless its creator is still at it.
  void remove_if_unclaimed(std::string_view id);
  Result<ContainerRunState> reconcile(const ContainerRecord& record, ContainerRunState state);

  std::string root_;
  std::string run_root_;
  image::ImageStore images_;
};

/// Docker's container name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]+
bool is_valid_container_name(std::string_view name);
/// A random "adjective_surname" name as Docker gives containers without --name.
std::string generate_container_name();

}  // namespace quai::engine
