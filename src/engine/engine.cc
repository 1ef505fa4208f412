#include "engine/engine.h"

#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "engine/internal/publishing.h"
#include "store/ids.h"
#include "store/json_file.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace quai::engine {
namespace {

std::string default_run_root(const std::string& root) {
  return root == "/var/lib/quai" ? "/run/quai" : root + "/run";
}

// A `--rm` container's record need not survive a crash of the machine: the container
// would be removed anyway, and its fsync was a journal commit on every `run --rm`.
sys::Durability record_durability(const ContainerRecord& record) {
  return record.auto_remove ? sys::Durability::Volatile : sys::Durability::Durable;
}

}  // namespace

bool is_valid_container_name(std::string_view name) {
  if (name.size() < 2 || name.size() > 128 || !std::isalnum(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

Result<Engine> Engine::open(const EngineOptions& options) {
  std::string root = sys::clean_path(options.root);
  std::string run_root = options.run_root.empty() ? default_run_root(root) : options.run_root;
  for (const char* dir : {"containers", "names", "volumes"})
    TRY(sys::mkdir_p(root + "/" + dir, 0700));
  TRY(sys::mkdir_p(run_root, 0700));
  auto images = TRY(image::ImageStore::open(root));
  return Engine(root, run_root, std::move(images));
}

Result<ContainerRecord> Engine::create_container(ContainerRecord draft) {
  bool named = !draft.name.empty();
  if (named && !is_valid_container_name(draft.name)) {
    return fail(Errc::InvalidArgument,
                "Invalid container name ({}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed",
                draft.name);
  }
  draft.id = store::random_id();
  if (draft.hostname.empty()) draft.hostname = std::string(store::short_id(draft.id));
  draft.created = rfc3339_now();
  auto work = TRY(images_.temp().make("container"));
  for (const char* dir : {"upper", "work", "rootfs"})
    TRY(sys::mkdir_p(work.path() + "/" + dir, 0755));
  // No state.json yet: a container that never ran has none (read_recorded_state).
  // The name is claimed last, after the directory is whole: a name never points at a
  // container that is not there (a crash in between leaves a nameless dir for recover()).
  if (!named) draft.name = generate_container_name();
  TRY(store::write_json_file(work.path() + "/container.json", draft.to_json(),
                             record_durability(draft)));
  TRY(work.commit_to(container_dir(draft.id)));
  for (int attempt = 1;; ++attempt) {
    std::string link = root_ + "/names/" + draft.name;
    if (::symlink(draft.id.c_str(), link.c_str()) == 0) break;
    int saved = errno;
    if (saved != EEXIST || named || attempt > 50) {
      (void)sys::remove_tree(container_dir(draft.id));
      if (saved != EEXIST) return fail_errno(saved, "claim container name \"{}\"", draft.name);
      return fail(Errc::AlreadyExists,
                  "Conflict. The container name \"/{}\" is already in use by container \"{}\". "
                  "You have to remove (or rename) that container to be able to reuse that name.",
                  draft.name, sys::read_link(link));
    }
    draft.name = generate_container_name() + (attempt > 5 ? std::to_string(attempt) : "");
    TRY(store::write_json_file(record_path(draft.id), draft.to_json(), record_durability(draft)));
  }
  return draft;
}

Result<ContainerRecord> Engine::read_record(std::string_view id) {
  std::string path = record_path(id);
  auto json = TRY(store::read_json_file(path));
  return ContainerRecord::from_json(json, path);
}

Result<std::string> Engine::resolve_container_id(std::string_view name_or_id) {
  std::string name(name_or_id.starts_with('/') ? name_or_id.substr(1) : name_or_id);
  if (is_valid_container_name(name) || name.size() == 1) {
    std::string id = sys::read_link(root_ + "/names/" + name);
    if (!id.empty() && sys::is_directory(container_dir(id))) return id;
  }
  if (store::is_id_prefix(name)) {
    std::string match;
    for (const auto& id : TRY(sys::list_directory(root_ + "/containers"))) {
      if (!id.starts_with(name)) continue;
      if (!match.empty()) {
        return fail(Errc::InvalidArgument, "multiple containers found with provided prefix: {}",
                    name);
      }
      match = id;
    }
    if (!match.empty()) return match;
  }
  return fail(Errc::NotFound, "No such container: {}", name_or_id);
}

Result<ContainerView> Engine::find_container(std::string_view name_or_id) {
  auto id = TRY(resolve_container_id(name_or_id));
  auto record = TRY(read_record(id));
  auto state = TRY(read_state(record));
  return ContainerView{std::move(record), std::move(state)};
}

Result<std::vector<ContainerView>> Engine::list_containers() {
  std::vector<ContainerView> views;
  for (const auto& id : TRY(sys::list_directory(root_ + "/containers"))) {
    auto record = read_record(id);
    if (!record) continue;  // removed meanwhile, or a crash before its record was whole
    if (sys::read_link(root_ + "/names/" + record->name) != id) {
      remove_if_unclaimed(id);  // a creator still at work, or one that crashed
      continue;
    }
    auto state = read_state(*record);
    if (!state) continue;
    views.push_back({std::move(*record), std::move(*state)});
  }
  std::ranges::sort(views, [](const ContainerView& a, const ContainerView& b) {
    return a.record.created > b.record.created;
  });
  return views;
}

Result<ContainerRunState> Engine::read_recorded_state(std::string_view id) {
  std::string path = container_dir(id) + "/state.json";
  // Missing: never started. Empty: written without fsync and lost with the machine, which
  // took the processes it described along.
  auto text = sys::read_file(path);
  if (!text && text.error().code() == Errc::NotFound) return ContainerRunState{};
  if (!text) return std::unexpected(text.error());
  if (text->empty()) return ContainerRunState{};
  auto json = parse_json(*text, path);
  if (!json) return fail(Errc::Corrupt, "{}", json.error().to_string());
  return ContainerRunState::from_json(*json, path);
}

Result<ContainerRunState> Engine::read_state(const ContainerRecord& record) {
  return reconcile(record, TRY(read_recorded_state(record.id)));
}

Status Engine::update_state(std::string_view id,
                            const std::function<void(ContainerRunState&)>& change) {
  auto lock = TRY(lock_container(id));
  ContainerRunState state = read_recorded_state(id).value_or(ContainerRunState{});
  change(state);
  return write_state(id, state);
}

Status Engine::write_state(std::string_view id, const ContainerRunState& state) {
  // Volatile: a state file describes processes, which do not survive a reboot either.
  return store::write_json_file(container_dir(id) + "/state.json", state.to_json(),
                                sys::Durability::Volatile);
}

Result<store::FileLock> Engine::lock_container(std::string_view id) {
  auto lock = store::FileLock::lock_directory(container_dir(id), store::LockMode::Exclusive);
  if (!lock && lock.error().code() == Errc::NotFound) {
    return fail(Errc::NotFound, "No such container: {}", id);
  }
  return lock;
}

Result<ContainerRunState> Engine::reconcile(const ContainerRecord& record,
                                            ContainerRunState state) {
  bool live_status = state.status == RunStatus::Running || state.status == RunStatus::Paused ||
                     state.status == RunStatus::Restarting;
  if (!live_status) return state;
  bool init_alive = state.pid > 0 && sys::is_same_process_alive(state.pid, state.pid_start_time);
  bool monitor_alive = state.monitor_pid > 0 &&
                       sys::is_same_process_alive(state.monitor_pid, state.monitor_start_time);
  if (init_alive || monitor_alive) return state;
  // Both the container and its monitor are gone (SIGKILL, OOM, reboot): nobody saw the
  // exit, so record it as Docker does for a lost container and clean the runtime's side.
  auto lock = TRY(lock_container(record.id));
  (void)runtime::delete_container(runtime_options(), record.id, true);
  internal::release_orphan_ports(*this, state.ports);
  internal::release_dead_claims(*this, record);
  state.ports.clear();
  state.status = RunStatus::Exited;
  state.exit_code = 255;
  state.error = "the container's monitor died";
  state.finished_at = rfc3339_now();
  state.pid = 0;
  TRY(write_state(record.id, state));
  return state;
}

void Engine::remove_if_unclaimed(std::string_view id) {
  // Its creator holds the directory's lock from before the rename into containers/ until
  // the name is claimed: a lock we can take means the creator died in between.
  auto lock = store::FileLock::lock_directory(container_dir(id), store::LockMode::Exclusive, false);
  if (!lock) return;
  auto record = read_record(id);
  if (!record || sys::read_link(root_ + "/names/" + record->name) == id) return;
  log::debug("removing container {}: its creator died before claiming its name", id);
  (void)images_.temp().move_in(container_dir(id), "rm");
}

Result<store::WorkDir> Engine::take_container_files(const ContainerRecord& record) {
  auto trash = TRY_CTX(images_.temp().move_in(container_dir(record.id), "rm"),
                       "remove container {}", record.id);
  std::string link = root_ + "/names/" + record.name;
  if (sys::read_link(link) == record.id) ::unlink(link.c_str());
  return trash;
}

Status Engine::remove_container_files(const ContainerRecord& record) {
  TRY(take_container_files(record));  // the returned WorkDir removes the tree as it goes
  return ok();
}

Status Engine::write_record(const ContainerRecord& record) {
  return store::write_json_file(record_path(record.id), record.to_json());
}

Status Engine::rename_container(std::string_view name_or_id, std::string_view new_name) {
  std::string name(new_name.starts_with('/') ? new_name.substr(1) : new_name);
  if (!is_valid_container_name(name)) {
    return fail(Errc::InvalidArgument, "Invalid container name ({})", name);
  }
  auto view = TRY(find_container(name_or_id));
  auto lock = TRY(lock_container(view.record.id));
  std::string link = root_ + "/names/" + name;
  if (::symlink(view.record.id.c_str(), link.c_str()) != 0) {
    if (errno == EEXIST) {
      return fail(Errc::AlreadyExists, "Conflict. The container name \"/{}\" is already in use",
                  name);
    }
    return fail_errno(errno, "claim container name \"{}\"", name);
  }
  std::string old_link = root_ + "/names/" + view.record.name;
  view.record.name = name;
  TRY(write_record(view.record));
  ::unlink(old_link.c_str());
  return ok();
}

std::set<image::Digest> Engine::images_in_use() {
  std::set<image::Digest> used;
  if (auto views = list_containers(); views) {
    for (const auto& view : *views) used.insert(view.record.image_id);
  }
  return used;
}

std::set<image::Digest> Engine::pinned_layers() {
  std::set<image::Digest> pinned;
  if (auto views = list_containers(); views) {
    for (const auto& view : *views)
      pinned.insert(view.record.layers.begin(), view.record.layers.end());
  }
  return pinned;
}

void Engine::delete_orphan_runtime_state() {
  // A `run --rm` monitor deletes the runtime's side of its container after the container
  // is gone from containers/; killed in between, it leaves that side here.
  auto ids = runtime::container_ids(runtime_options());
  if (!ids) return;
  for (const auto& id : *ids) {
    if (sys::path_exists(container_dir(id))) continue;
    // A build's RUN step ("build-XXXXXX-N") lives as long as the build's work dir.
    if (id.starts_with("build-") &&
        sys::path_exists(images_.temp().dir() + "/" + id.substr(0, id.find('-', 6))))
      continue;
    log::debug("recover: deleting runtime state of removed container {}", id);
    (void)runtime::delete_container(runtime_options(), id, true);
  }
}

Status Engine::recover() {
  int swept = TRY(images_.temp().sweep());
  if (swept == 0) return ok();
  log::debug("recover: {} leftovers in tmp/, collecting garbage", swept);
  delete_orphan_runtime_state();
  auto gc = TRY(images_.collect_garbage(pinned_layers()));
  (void)gc;
  return ok();
}

}  // namespace quai::engine
