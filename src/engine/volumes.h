#pragma once
// Named volumes: volumes/<name>/_data holds the content, volumes/<name>/volume.json the
// metadata. A volume is made whole in tmp/ and renamed into place, so concurrent creates
// of one name agree on a single volume.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"

namespace quai::engine {

struct Volume {
  std::string name;
  std::string data_path;
  std::string created;
  bool anonymous = false;
  bool populated = false;  // mounted once already: never filled from an image again
  std::map<std::string, std::string> labels;

  Json to_inspect_json() const;
};

/// Creates a volume (an empty name makes an anonymous one with a random name); an
/// existing volume of that name is returned as it is, as Docker does.
Result<Volume> create_volume(Engine& engine, const std::string& name,
                             const std::map<std::string, std::string>& labels = {},
                             bool anonymous = false);
Result<Volume> ensure_volume(Engine& engine, const std::string& name);
/// NotFound "no such volume: NAME".
Result<Volume> find_volume(Engine& engine, const std::string& name);
Result<std::vector<Volume>> list_volumes(Engine& engine);
/// Busy when a container uses it (unless force).
Status remove_volume(Engine& engine, const std::string& name, bool force);
/// Removes unused anonymous volumes (all unused ones with `all`); returns their names.
Result<std::vector<std::string>> prune_volumes(Engine& engine, bool all);
/// Docker's copy-up, done on a volume's first mount only (then recorded in volume.json):
/// when the volume is empty and `root_fd` (the container's root) holds a directory at
/// `target`, its content is copied in with owners, modes and xattrs, and the volume's
/// directory takes the owner and mode of `target`. Serialised by the volume's lock.
Status populate_volume(Engine& engine, const Volume& volume, int root_fd,
                       const std::string& target);
/// Volume names that containers mount.
std::set<std::string> volumes_in_use(Engine& engine);

bool is_valid_volume_name(std::string_view name);

}  // namespace quai::engine
