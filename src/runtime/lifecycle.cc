// Containers after create: loading their state, start, kill, delete, pause, update.

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "base/json.h"
#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroup.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/rootfs.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/syscalls.h"

namespace quai::runtime {
namespace {

// The init blocks reading exec.fifo, which only it holds open once create has returned:
// one byte releases it. With no reader left (ENXIO), the init has died.
Status release_init(const Container& container) {
  sys::UniqueFd fifo(::open(container.dir.fifo().c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fifo && errno == ENXIO) {
    return fail(Errc::Io, "container \"{}\" exited before it started", container.state.id);
  }
  if (!fifo) return fail_errno(errno, "open \"{}\"", container.dir.fifo());
  TRY_CTX(sys::write_all(fifo.get(), "0"), "start container \"{}\"", container.state.id);
  if (::unlink(container.dir.fifo().c_str()) != 0) return fail_errno(errno, "remove exec.fifo");
  // Return once the program runs, as runc does: execve closes the init's end, and then a
  // writer polls POLLERR (no reader left). Signals sent right after `start` would
  // otherwise reach an init that still ignores them, and poststart hooks could run first.
  struct pollfd pfd = {fifo.get(), 0, 0};
  while (::poll(&pfd, 1, -1) < 0) {
    if (errno != EINTR) return fail_errno(errno, "poll \"{}\"", container.dir.fifo());
  }
  return ok();
}

Status wait_until_gone(const Container& container) {
  for (int i = 0; i < 2000; ++i) {
    if (!sys::is_same_process_alive(container.state.pid, container.state.start_time)) return ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return fail(Errc::Timeout, "container \"{}\" did not exit after SIGKILL", container.state.id);
}

const std::pair<const char*, int> kSignals[] = {
    {"HUP", SIGHUP},       {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},     {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},       {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

}  // namespace

ContainerStatus Container::status() const {
  if (!sys::is_same_process_alive(state.pid, state.start_time)) return ContainerStatus::Stopped;
  if (sys::path_exists(dir.fifo())) return ContainerStatus::Created;
  auto frozen = cgroup().is_frozen();
  if (frozen && *frozen) return ContainerStatus::Paused;
  return ContainerStatus::Running;
}

Cgroup Container::cgroup() const {
  auto layout = CgroupLayout::detect();
  return Cgroup(layout ? *layout : CgroupLayout{}, state.cgroup_path, state.cgroup_owned_from);
}

Status require_status(const Container& container, std::initializer_list<ContainerStatus> allowed,
                      std::string_view action) {
  ContainerStatus status = container.status();
  for (ContainerStatus s : allowed) {
    if (s == status) return ok();
  }
  return fail(Errc::InvalidArgument, "cannot {} container \"{}\": it is {}", action,
              container.state.id, status_name(status));
}

Json Container::oci_state() const {
  ContainerStatus s = status();
  return Json{
      {"ociVersion", state.oci_version}, {"id", state.id},
      {"status", status_name(s)},        {"pid", s == ContainerStatus::Stopped ? 0 : state.pid},
      {"bundle", state.bundle},          {"rootfs", state.rootfs},
      {"created", state.created},        {"owner", state.owner},
      {"annotations", state.annotations}};
}

Result<Container> load_container(const RuntimeOptions& options, const std::string& id) {
  TRY(validate_container_id(id));
  StateDir dir(options.root, id);
  auto state = dir.load();
  if (!state) {
    if (state.error().code() == Errc::NotFound)
      return fail(Errc::NotFound, "container \"{}\" does not exist", id);
    return std::unexpected(state.error());
  }
  auto config_text = TRY(sys::read_file(dir.config_file()));
  Spec spec = TRY_CTX(parse_spec(config_text, state->bundle), "{}", dir.config_file());
  return Container{dir, std::move(*state), std::move(spec)};
}

Result<std::vector<std::string>> container_ids(const RuntimeOptions& options) {
  std::vector<std::string> ids;
  DIR* dir = ::opendir(options.root.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return ids;
    return fail_errno(errno, "open \"{}\"", options.root);
  }
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != ".." && name != "seccomp-cache" && entry->d_type == DT_DIR)
      ids.push_back(name);
  }
  ::closedir(dir);
  std::sort(ids.begin(), ids.end());
  return ids;
}

Result<std::vector<Container>> list_containers(const RuntimeOptions& options) {
  std::vector<Container> out;
  for (const auto& id : TRY(container_ids(options))) {
    // A container still being created has no state yet; skip it.
    if (auto container = load_container(options, id)) out.push_back(std::move(*container));
  }
  return out;
}

// The lock first, then the state: what is read cannot change under the caller.
struct LockedContainer {
  sys::UniqueFd lock;
  Container container;
};

Result<LockedContainer> lock_container(const RuntimeOptions& options, const std::string& id) {
  TRY(validate_container_id(id));
  auto lock = StateDir(options.root, id).lock();
  if (!lock && lock.error().code() == Errc::NotFound) {
    return fail(Errc::NotFound, "container \"{}\" does not exist", id);
  }
  if (!lock) return std::unexpected(lock.error());
  auto container = TRY(load_container(options, id));
  return LockedContainer{std::move(*lock), std::move(container)};
}

namespace {

Status start_locked(const Container& container) {
  TRY(require_status(container, {ContainerStatus::Created}, "start"));
  TRY(release_init(container));
  if (!container.spec.hooks.poststart.empty()) {
    Json state = container.oci_state();
    state["status"] = "running";
    run_hooks_warn(container.spec.hooks.poststart, "poststart", state.dump());
  }
  return ok();
}

}  // namespace

Status start_container(const RuntimeOptions& options, const std::string& id) {
  auto [lock, container] = TRY(lock_container(options, id));
  return start_locked(container);
}

Status start_created(const Launched& launched) {
  auto lock = launched.container.dir.lock();
  if (!lock && lock.error().code() == Errc::NotFound) {
    return fail(Errc::NotFound, "container \"{}\" does not exist", launched.container.state.id);
  }
  if (!lock) return std::unexpected(lock.error());
  return start_locked(launched.container);
}

Result<int> parse_signal(std::string_view text) {
  if (text.empty()) return fail(Errc::InvalidArgument, "empty signal");
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    auto number = parse_int64(text);
    if (!number || *number <= 0 || *number >= NSIG)
      return fail(Errc::InvalidArgument, "invalid signal \"{}\"", text);
    return static_cast<int>(*number);
  }
  std::string name(text);
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.starts_with("SIG")) name = name.substr(3);
  for (const auto& [signal_name, number] : kSignals) {
    if (name == signal_name) return number;
  }
  return fail(Errc::InvalidArgument, "unknown signal \"{}\"", text);
}

Status kill_container(const RuntimeOptions& options, const std::string& id, int signal, bool all) {
  Container container = TRY(load_container(options, id));
  TRY(require_status(container,
                     {ContainerStatus::Created, ContainerStatus::Running, ContainerStatus::Paused},
                     "kill"));
  if (all) return container.cgroup().signal_all(signal);
  auto pidfd = TRY(sys::pidfd_open(container.state.pid));
  // The pidfd pins the process: recheck that it is still ours before signalling.
  if (!sys::is_same_process_alive(container.state.pid, container.state.start_time)) {
    return fail(Errc::InvalidArgument, "cannot kill container \"{}\": it is stopped", id);
  }
  return with_context(sys::pidfd_send_signal(pidfd.get(), signal), "kill container \"{}\"", id);
}

namespace {

// A create killed half way leaves its state dir with config.json and no state.json, and
// maybe the cgroup with an init in it (waiting for its go, holding its namespaces): the
// processes are killed and the cgroup removed.
void delete_half_created(const RuntimeOptions& options, const std::string& id) {
  auto text = sys::read_file(StateDir(options.root, id).config_file());
  if (!text) return;
  auto config = parse_json(*text, "config.json");
  if (!config || !config->is_object()) return;
  std::string cgroups_path = config->value("/linux/cgroupsPath"_json_pointer, std::string());
  auto path = resolve_cgroups_path(cgroups_path, id, options.systemd_cgroup);
  auto layout = CgroupLayout::detect();
  if (!path || !layout) return;
  // quai's own parent, /quai, goes too when nothing else is in it; a parent the config
  // named was not necessarily made by this create.
  std::string owned_from = cgroups_path.empty() ? "/quai" : *path;
  Cgroup cgroup(std::move(*layout), *path, owned_from);
  // The create may have died while it made the directories, one hierarchy after another:
  // whatever exists goes (destroy passes over those that do not).
  auto pids = cgroup.processes();
  if (pids && !pids->empty()) {
    (void)cgroup.signal_all(SIGKILL);
    for (int i = 0; i < 400 && pids && !pids->empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      pids = cgroup.processes();
    }
  }
  (void)cgroup.destroy();
}

}  // namespace

Status delete_container(const RuntimeOptions& options, const std::string& id, bool force) {
  auto locked = lock_container(options, id);
  if (!locked) {
    // --force on a container that is already gone succeeds, as with crun (podman deletes
    // after a failed create), and removes a state dir without state.json: a create that
    // died half way.
    if (force && locked.error().code() == Errc::NotFound) {
      delete_half_created(options, id);
      return sys::remove_tree(StateDir(options.root, id).dir());
    }
    return std::unexpected(locked.error());
  }
  Container& container = locked->container;
  Cgroup cgroup = container.cgroup();
  if (ContainerStatus status = container.status(); status != ContainerStatus::Stopped) {
    if (!force) {
      return fail(Errc::InvalidArgument,
                  "cannot delete container \"{}\" that is not stopped: it is {}", id,
                  status_name(status));
    }
    (void)cgroup.signal_all(SIGKILL);
    ::kill(container.state.pid, SIGKILL);
    TRY(wait_until_gone(container));
  }
  // Stray processes of a container whose init exited (no pid namespace) die with it.
  if (auto pids = cgroup.processes(); pids && !pids->empty()) (void)cgroup.signal_all(SIGKILL);
  TRY_CTX(cgroup.destroy(), "delete container \"{}\"", id);
  if (!container.spec.has_namespace("mount")) {
    TRY_CTX(release_host_mounts(container.state.rootfs), "delete container \"{}\"", id);
  }
  if (!container.spec.hooks.poststop.empty()) {
    Json state = container.oci_state();
    state["status"] = "stopped";
    run_hooks_warn(container.spec.hooks.poststop, "poststop", state.dump());
  }
  return sys::remove_tree(container.dir.dir());
}

Status pause_container(const RuntimeOptions& options, const std::string& id, bool pause) {
  auto [lock, container] = TRY(lock_container(options, id));
  if (pause) {
    TRY(require_status(container, {ContainerStatus::Running, ContainerStatus::Created}, "pause"));
  } else {
    TRY(require_status(container, {ContainerStatus::Paused}, "resume"));
  }
  return with_context(container.cgroup().set_frozen(pause), "{} container \"{}\"",
                      pause ? "pause" : "resume", id);
}

Status update_container(const RuntimeOptions& options, const std::string& id,
                        const Resources& resources) {
  auto [lock, container] = TRY(lock_container(options, id));
  TRY(require_status(container,
                     {ContainerStatus::Created, ContainerStatus::Running, ContainerStatus::Paused},
                     "update"));
  return with_context(container.cgroup().apply(resources), "update container \"{}\"", id);
}

Result<std::vector<pid_t>> container_pids(const RuntimeOptions& options, const std::string& id) {
  Container container = TRY(load_container(options, id));
  if (container.status() == ContainerStatus::Stopped) return std::vector<pid_t>();
  return container.cgroup().processes();
}

}  // namespace quai::runtime
