#include "engine/volumes.h"

#include <fcntl.h>

#include "engine/internal/tree_copy.h"
#include "store/ids.h"
#include "store/json_file.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

std::string volume_dir(Engine& engine, const std::string& name) {
  return engine.root() + "/volumes/" + name;
}

Result<Volume> read_volume(Engine& engine, const std::string& name) {
  std::string path = volume_dir(engine, name) + "/volume.json";
  auto json = store::read_json_file(path);
  if (!json && json.error().code() == Errc::NotFound) {
    return fail(Errc::NotFound, "no such volume: {}", name);
  }
  if (!json) return std::unexpected(json.error());
  JsonReader r(*json, path);
  Volume volume;
  volume.name = TRY(r.string("Name"));
  volume.created = TRY(r.string("CreatedAt"));
  volume.anonymous = TRY(r.boolean("Anonymous", false));
  volume.populated = TRY(r.boolean("Populated", false));
  volume.labels = TRY(r.string_map("Labels"));
  volume.data_path = volume_dir(engine, name) + "/_data";
  return volume;
}

}  // namespace

bool is_valid_volume_name(std::string_view name) { return is_valid_container_name(name); }

Json Volume::to_inspect_json() const {
  return {{"CreatedAt", created},    {"Driver", "local"}, {"Labels", labels},
          {"Mountpoint", data_path}, {"Name", name},      {"Options", Json::object()},
          {"Scope", "local"}};
}

Result<Volume> create_volume(Engine& engine, const std::string& requested,
                             const std::map<std::string, std::string>& labels, bool anonymous) {
  std::string name = requested.empty() ? store::random_id() : requested;
  if (!is_valid_volume_name(name)) {
    return fail(Errc::InvalidArgument,
                "create {}: \"{}\" includes invalid characters for a local volume name, only "
                "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed",
                name, name);
  }
  if (auto existing = read_volume(engine, name); existing) return existing;
  auto work = TRY(engine.images().temp().make("volume"));
  TRY(sys::mkdir_p(work.path() + "/_data", 0755));
  Json meta{{"Name", name},
            {"CreatedAt", rfc3339_now()},
            {"Anonymous", anonymous || requested.empty()},
            {"Labels", labels}};
  TRY(store::write_json_file(work.path() + "/volume.json", meta));
  auto committed = work.commit_to(volume_dir(engine, name));
  if (!committed && committed.error().code() != Errc::AlreadyExists) {
    return std::unexpected(committed.error());
  }
  return read_volume(engine, name);
}

Result<Volume> ensure_volume(Engine& engine, const std::string& name) {
  if (auto existing = read_volume(engine, name); existing) return existing;
  return create_volume(engine, name, {}, false);
}

Result<Volume> find_volume(Engine& engine, const std::string& name) {
  return read_volume(engine, name);
}

Result<std::vector<Volume>> list_volumes(Engine& engine) {
  std::vector<Volume> volumes;
  for (const auto& name : TRY(sys::list_directory(engine.root() + "/volumes"))) {
    if (auto volume = read_volume(engine, name); volume) volumes.push_back(std::move(*volume));
  }
  std::ranges::sort(volumes, {}, &Volume::name);
  return volumes;
}

Status populate_volume(Engine& engine, const Volume& volume, int root_fd,
                       const std::string& target) {
  if (volume.populated) return ok();
  std::string dir = volume_dir(engine, volume.name);
  auto lock = TRY(store::FileLock::acquire(dir, store::LockMode::Exclusive));
  auto meta = TRY(store::read_json_file(dir + "/volume.json"));
  if (meta.value("Populated", false)) return ok();  // another container was first
  auto source = TRY(internal::locate_in_root(root_fd, target, true));
  if (source.exists && source.is_directory && TRY(sys::list_directory(volume.data_path)).empty()) {
    sys::UniqueFd data(::open(volume.data_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!data) return fail_errno(errno, "open \"{}\"", volume.data_path);
    TRY_CTX(internal::copy_tree(source, ".", data.get(), internal::plain_tree_options()),
            "copy \"{}\" of the image into volume {}", target, volume.name);
  }
  meta["Populated"] = true;
  return store::write_json_file(dir + "/volume.json", meta);
}

std::set<std::string> volumes_in_use(Engine& engine) {
  std::set<std::string> used;
  if (auto views = engine.list_containers(); views) {
    for (const auto& view : *views) {
      for (const auto& m : view.record.mounts) {
        if (m.type == "volume") used.insert(m.source);
      }
    }
  }
  return used;
}

Status remove_volume(Engine& engine, const std::string& name, bool force) {
  TRY(read_volume(engine, name));
  if (!force && volumes_in_use(engine).contains(name)) {
    return fail(Errc::Busy, "remove {}: volume is in use", name);
  }
  auto trash = TRY_CTX(engine.images().temp().move_in(volume_dir(engine, name), "rm-volume"),
                       "remove volume {}", name);
  return ok();  // the tree goes with `trash`
}

Result<std::vector<std::string>> prune_volumes(Engine& engine, bool all) {
  auto used = volumes_in_use(engine);
  std::vector<std::string> removed;
  for (const auto& volume : TRY(list_volumes(engine))) {
    if (used.contains(volume.name) || (!all && !volume.anonymous)) continue;
    if (remove_volume(engine, volume.name, true)) removed.push_back(volume.name);
  }
  return removed;
}

}  // namespace quai::engine
