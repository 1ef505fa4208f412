// `create`: validate the bundle, make the state dir and cgroup, clone the init and drive
// it through setup with the sync channel. Anything that fails undoes what was made.

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "runtime/capabilities.h"
#include "runtime/container.h"
#include "runtime/hooks.h"
#include "runtime/internal/init.h"
#include "runtime/namespaces.h"
#include "runtime/rlimits.h"
#include "runtime/rootfs.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/syscalls.h"
#include "sys/unix_socket.h"

namespace quai::runtime {
namespace {

// Undoes a partial create: kills the init, removes the cgroup and the state dir.
class CreateRollback {
 public:
  explicit CreateRollback(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  ~CreateRollback() {
    if (committed_) return;
    for (pid_t pid : {init_pid_, intermediate_pid_}) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
    }
    if (cgroup_) {
      if (auto destroyed = cgroup_->destroy(); !destroyed)
        log::warn("{}", destroyed.error().to_string());
    }
    if (!host_mounts_rootfs_.empty()) {
      if (auto released = release_host_mounts(host_mounts_rootfs_); !released) {
        log::warn("{}", released.error().to_string());
      }
    }
    if (auto removed = sys::remove_tree(state_dir_); !removed)
      log::warn("{}", removed.error().to_string());
  }
  /// The cgroup lives here so that it outlives everything the rollback may undo.
  Cgroup& make_cgroup(CgroupLayout layout, std::string path) {
    cgroup_.emplace(std::move(layout), std::move(path));
    return *cgroup_;
  }
  void set_init(pid_t pid) { init_pid_ = pid; }
  void set_intermediate(pid_t pid) { intermediate_pid_ = pid; }
  /// A container without a mount namespace mounts into the runtime's mount table.
  void set_host_mounts_rootfs(std::string rootfs) { host_mounts_rootfs_ = std::move(rootfs); }
  void commit() { committed_ = true; }

 private:
  std::string state_dir_;
  std::optional<Cgroup> cgroup_;
  std::string host_mounts_rootfs_;
  pid_t init_pid_ = -1;
  pid_t intermediate_pid_ = -1;
  bool committed_ = false;
};

bool is_namespaced_sysctl(const std::string& key, const Spec& spec) {
  if (key.starts_with("net.")) return spec.has_namespace("network");
  if (key == "kernel.shmmax" || key == "kernel.shmall" || key == "kernel.shmmni" ||
      key == "kernel.shm_rmid_forced" || key == "kernel.msgmax" || key == "kernel.msgmnb" ||
      key == "kernel.msgmni" || key == "kernel.sem" || key.starts_with("fs.mqueue.")) {
    return spec.has_namespace("ipc");
  }
  if (key == "kernel.hostname" || key == "kernel.domainname") return spec.has_namespace("uts");
  return false;
}

Status validate_namespaces(const Spec& spec) {
  if (!spec.linux_) return ok();
  for (const auto& ns : spec.linux_->namespaces) {
    if (ns.type == "time")
      return fail(Errc::Unsupported, "linux.namespaces: time namespaces are not supported");
  }
  const Namespace* user = spec.find_namespace("user");
  if (user && user->path.empty() &&
      (spec.linux_->uid_mappings.empty() || spec.linux_->gid_mappings.empty())) {
    return fail(Errc::InvalidArgument,
                "linux.uidMappings: a new user namespace needs both uidMappings and gidMappings");
  }
  if (!spec.hostname.empty() && !spec.has_namespace("uts")) {
    return fail(Errc::InvalidArgument, "hostname: setting a hostname needs a uts namespace");
  }
  for (const auto& [key, value] : spec.linux_->sysctl) {
    if (!is_namespaced_sysctl(key, spec)) {
      return fail(Errc::InvalidArgument,
                  "linux.sysctl.{}: not a sysctl of the container's namespaces", key);
    }
  }
  return ok();
}

Status validate_for_create(const Spec& spec, const CreateOptions& create) {
  if (!spec.process) return fail(Errc::InvalidArgument, "process: missing");
  const Process& process = *spec.process;
  if (process.args.empty()) return fail(Errc::InvalidArgument, "process.args: must not be empty");
  if (process.capabilities)
    TRY(validate_capabilities(*process.capabilities, "process.capabilities"));
  TRY(validate_rlimits(process.rlimits));
  if (process.terminal && create.console_socket.empty() && create.console_socket_fd < 0 &&
      !create.inherit_terminal) {
    return fail(Errc::InvalidArgument,
                "process.terminal is true but no --console-socket was given");
  }
  if (!sys::is_directory(spec.root_path)) {
    return fail(Errc::NotFound, "root.path: \"{}\" is not a directory", spec.root_path);
  }
  TRY(validate_namespaces(spec));
  if (spec.linux_ && spec.linux_->seccomp) TRY(validate_seccomp(*spec.linux_->seccomp));
  return ok();
}

Status write_id_maps(pid_t pid, const Linux& linux_section) {
  auto render = [](const std::vector<IdMapping>& maps) {
    std::string text;
    for (const auto& m : maps) text += fmt::format("{} {} {}\n", m.container_id, m.host_id, m.size);
    return text;
  };
  std::string proc = "/proc/" + std::to_string(pid);
  TRY_CTX(sys::write_existing(proc + "/uid_map", render(linux_section.uid_mappings)),
          "linux.uidMappings");
  TRY_CTX(sys::write_existing(proc + "/gid_map", render(linux_section.gid_mappings)),
          "linux.gidMappings");
  return ok();
}

Json hook_state(const Spec& spec, const CreateOptions& create, pid_t pid, std::string_view status) {
  return Json{{"ociVersion", spec.oci_version},
              {"id", create.id},
              {"status", status},
              {"pid", pid},
              {"bundle", create.bundle},
              {"annotations", spec.annotations}};
}

struct Prepared {
  Spec spec;
  std::string config_text;
  CgroupLayout layout;
  std::string cgroup_path;
  std::optional<SeccompProgram> seccomp;
};

Result<Prepared> prepare(const RuntimeOptions& options, const CreateOptions& create) {
  TRY(validate_container_id(create.id));
  Prepared p;
  std::string config_path = create.bundle + "/config.json";
  p.config_text =
      create.config_text.empty() ? TRY(sys::read_file(config_path)) : create.config_text;
  p.spec = TRY_CTX(parse_spec(p.config_text, create.bundle), "{}", config_path);
  TRY_CTX(validate_for_create(p.spec, create), "{}", config_path);
  p.layout = TRY(CgroupLayout::detect());
  std::string cgroups_path = p.spec.linux_ ? p.spec.linux_->cgroups_path : "";
  p.cgroup_path = TRY(resolve_cgroups_path(cgroups_path, create.id, options.systemd_cgroup));
  if (p.spec.linux_ && p.spec.linux_->seccomp) {
    p.seccomp = TRY(compile_seccomp(*p.spec.linux_->seccomp, options.root + "/seccomp-cache"));
  }
  return p;
}

}  // namespace

Result<Launched> create_container(const RuntimeOptions& options, const CreateOptions& create) {
  Prepared p = TRY(prepare(options, create));
  const Spec& spec = p.spec;
  StateDir dir(options.root, create.id);
  TRY(sys::mkdir_p(options.root, 0700));
  if (::mkdir(dir.dir().c_str(), 0700) != 0) {
    if (errno == EEXIST)
      return fail(Errc::AlreadyExists, "container \"{}\" already exists", create.id);
    return fail_errno(errno, "mkdir \"{}\"", dir.dir());
  }
  CreateRollback rollback(dir.dir());
  // Held until create returns: a concurrent delete or start waits for the outcome.
  auto lock = TRY(dir.lock());
  TRY(sys::write_file_atomic(dir.config_file(), p.config_text, 0600, sys::Durability::Volatile));
  if (::mkfifo(dir.fifo().c_str(), 0600) != 0)
    return fail_errno(errno, "mkfifo \"{}\"", dir.fifo());
  // Linux allows O_RDWR on a fifo without a peer; see wait_for_start in init.cc.
  sys::UniqueFd exec_fifo(::open(dir.fifo().c_str(), O_RDWR | O_CLOEXEC));
  if (!exec_fifo) return fail_errno(errno, "open \"{}\"", dir.fifo());

  Cgroup& cgroup = rollback.make_cgroup(p.layout, p.cgroup_path);
  if (!spec.has_namespace("mount")) rollback.set_host_mounts_rootfs(spec.root_path);
  const Resources* resources =
      spec.linux_ && spec.linux_->resources ? &*spec.linux_->resources : nullptr;
  TRY_CTX(cgroup.create(resources), "create cgroup \"{}\"", p.cgroup_path);
  if (resources) TRY_CTX(cgroup.apply(*resources), "cgroup \"{}\"", p.cgroup_path);

  sys::UniqueFd console;
  if (spec.process->terminal && create.console_socket_fd >= 0) {
    console = sys::UniqueFd(::fcntl(create.console_socket_fd, F_DUPFD_CLOEXEC, 3));
    if (!console) return fail_errno(errno, "dup console socket");
  } else if (spec.process->terminal) {
    console = TRY(sys::connect_unix(create.console_socket));
  }

  const Namespace* user_ns = spec.find_namespace("user");
  const Namespace* pid_ns = spec.find_namespace("pid");
  int new_flags = new_namespace_flags(spec);
  internal::InitConfig config;
  config.spec = &spec;
  config.bundle = create.bundle;
  config.exec_fifo_fd = exec_fifo.get();
  config.console_socket = console.get();
  config.state_lock_fd = lock.get();
  config.cgroups = &p.layout;
  config.cgroup_path = p.cgroup_path;
  config.seccomp = p.seccomp ? &*p.seccomp : nullptr;
  config.no_pivot = create.no_pivot;
  config.preserve_fds = create.preserve_fds;
  config.stdio = create.stdio;
  // A multithreaded caller (a build running stages in parallel, the API server) goes
  // through the double fork: the intermediate is made by fork(), which leaves malloc and
  // stdio usable in the child; a raw clone3 could copy a lock another thread holds.
  config.double_fork =
      user_ns != nullptr || (pid_ns != nullptr && !pid_ns->path.empty()) || sys::thread_count() > 1;
  config.new_user_ns = user_ns != nullptr && user_ns->path.empty();
  config.new_cgroup_ns = (new_flags & CLONE_NEWCGROUP) != 0;
  config.unshare_flags = new_flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP);

  auto [parent_channel, child_channel] = TRY(internal::SyncChannel::make_pair());
  int pidfd = -1;
  struct clone_args args = {};
  args.flags = CLONE_PIDFD | (config.double_fork ? 0 : static_cast<uint64_t>(config.unshare_flags));
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  // Without the double fork the init is our child and single-threaded: it joins its
  // cgroups itself, cheaply (Cgroup::join_as_current), cloned straight into the unified one.
  config.joins_cgroup_itself = !config.double_fork;
  sys::UniqueFd unified;
  if (config.joins_cgroup_itself && p.layout.unified()) {
    unified = sys::UniqueFd(
        ::open(cgroup.directory(*p.layout.unified()).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  if (unified) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(unified.get());
    config.cloned_into_unified = true;
  }
  pid_t child = config.double_fork ? ::fork() : sys::clone3(&args);
  if (child < 0 && unified) {
    // Kernels before 5.7, or a cgroup that takes no processes: join it the usual way.
    args.flags &= ~static_cast<uint64_t>(CLONE_INTO_CGROUP);
    config.cloned_into_unified = false;
    child = sys::clone3(&args);
  }
  if (child < 0) return fail_errno(errno, "clone the container process");
  if (child == 0) {
    parent_channel.close();
    internal::run_init(config, child_channel);
  }
  child_channel.close();
  sys::UniqueFd child_pidfd(pidfd);
  pid_t init_pid = child;
  if (config.double_fork) {
    rollback.set_intermediate(child);
    auto message = TRY_CTX(parent_channel.receive(), "create container \"{}\"", create.id);
    if (message.step == internal::SyncStep::UserMaps) {
      TRY(write_id_maps(child, *spec.linux_));
      TRY(parent_channel.send(internal::SyncStep::Go));
      message = TRY_CTX(parent_channel.receive(), "create container \"{}\"", create.id);
    }
    if (message.step != internal::SyncStep::Pid)
      return fail(Errc::Internal, "sync: expected the init's pid");
    init_pid = static_cast<pid_t>(std::stol(message.payload));
    rollback.set_init(init_pid);
    TRY(sys::wait_exit_code(child));
    rollback.set_intermediate(-1);
    child_pidfd = TRY(sys::pidfd_open(init_pid));
  } else {
    rollback.set_init(child);
  }
  if (!config.joins_cgroup_itself)
    TRY_CTX(cgroup.add_process(init_pid), "cgroup \"{}\"", p.cgroup_path);
  TRY(parent_channel.send(internal::SyncStep::Go));
  if (spec.hooks.any_before_start()) {
    TRY_CTX(parent_channel.expect(internal::SyncStep::Hooks), "create container \"{}\"", create.id);
    std::string created_json = hook_state(spec, create, init_pid, "created").dump();
    TRY(run_hooks(spec.hooks.prestart, "prestart", created_json));
    TRY(run_hooks(spec.hooks.create_runtime, "createRuntime", created_json));
    TRY(parent_channel.send(internal::SyncStep::Go, created_json));
  }
  TRY_CTX(parent_channel.expect(internal::SyncStep::Ready), "create container \"{}\"", create.id);

  ContainerState state;
  state.id = create.id;
  state.bundle = create.bundle;
  state.rootfs = spec.root_path;
  state.oci_version = spec.oci_version;
  state.created = rfc3339_now();
  state.owner = "root";
  state.cgroup_path = p.cgroup_path;
  state.cgroup_owned_from = cgroup.owned_from();
  state.pid = init_pid;
  state.start_time = TRY(sys::process_start_time(init_pid));
  state.annotations = spec.annotations;
  TRY(dir.save(state));
  if (!create.pid_file.empty())
    TRY(sys::write_file_atomic(create.pid_file, std::to_string(init_pid), 0644,
                               sys::Durability::Volatile));
  rollback.commit();
  return Launched{init_pid, std::move(child_pidfd),
                  Container{dir, std::move(state), std::move(p.spec)}};
}

}  // namespace quai::runtime
