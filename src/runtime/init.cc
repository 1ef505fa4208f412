// The container's init: joins and creates namespaces, builds the root filesystem, waits
// for `start` on exec.fifo, then becomes the container's process.
//
// It runs in a single-threaded child of the runtime, so allocating is safe; it never
// returns to the caller's stack frames (every path ends in exec or _exit).

#include <fcntl.h>
#include <linux/sched.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "runtime/hooks.h"
#include "runtime/internal/init.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/rlimits.h"
#include "runtime/rootfs.h"
#include "sys/file_io.h"
#include "sys/syscalls.h"

namespace quai::runtime::internal {
namespace {

Status join_namespaces_by_path(const Spec& spec, bool user_only) {
  if (!spec.linux_) return ok();
  // The user namespace goes first: the others are owned by it.
  for (const auto& ns : spec.linux_->namespaces) {
    if (ns.path.empty() || (ns.type == "user") != user_only) continue;
    TRY_CTX(join_namespace(ns.path, ns.type), "linux.namespaces \"{}\"", ns.type);
  }
  return ok();
}

Status become_root_in_user_ns() {
  if (::setresgid(0, 0, 0) != 0) return fail_errno(errno, "setgid 0 in the user namespace");
  if (::setresuid(0, 0, 0) != 0) return fail_errno(errno, "setuid 0 in the user namespace");
  return ok();
}

// Double-fork path: the first child enters or creates the user namespace (the parent
// writes its id maps), joins the other namespaces, unshares the new ones, then clones the
// real init with CLONE_PARENT so the runtime is its parent, and exits.
Status intermediate_stage(const InitConfig& config, SyncChannel& channel) {
  const Spec& spec = *config.spec;
  TRY(join_namespaces_by_path(spec, true));
  if (config.new_user_ns) {
    if (::unshare(CLONE_NEWUSER) != 0) return fail_errno(errno, "unshare user namespace");
    TRY(channel.send(SyncStep::UserMaps));
    TRY(channel.expect(SyncStep::Go));
  }
  if (spec.has_namespace("user")) TRY(become_root_in_user_ns());
  TRY(join_namespaces_by_path(spec, false));
  if (config.unshare_flags != 0 && ::unshare(config.unshare_flags) != 0) {
    return fail_errno(errno, "unshare namespaces");
  }
  struct clone_args args = {};
  // clone3 refuses an exit_signal with CLONE_PARENT; the child inherits ours (SIGCHLD).
  args.flags = CLONE_PARENT;
  pid_t pid = sys::clone3(&args);
  if (pid < 0) return fail_errno(errno, "clone init");
  if (pid > 0) {
    TRY(channel.send(SyncStep::Pid, std::to_string(pid)));
    ::_exit(0);
  }
  return ok();
}

// A new network namespace has `lo`, down. As crun does, and as a container without a
// network expects (a server and its client on 127.0.0.1), it is brought up.
Status bring_loopback_up() {
  sys::UniqueFd socket(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!socket) return fail_errno(errno, "socket for the loopback interface");
  struct ifreq request = {};
  std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
  if (::ioctl(socket.get(), SIOCGIFFLAGS, &request) != 0)
    return fail_errno(errno, "flags of the loopback interface");
  request.ifr_flags |= IFF_UP;
  if (::ioctl(socket.get(), SIOCSIFFLAGS, &request) != 0)
    return fail_errno(errno, "bring the loopback interface up");
  return ok();
}

std::string with_status(const std::string& state_json, std::string_view status) {
  auto json = Json::parse(state_json, nullptr, false);
  if (json.is_discarded()) return state_json;
  json["status"] = status;
  return json.dump();
}

// Everything up to "ready": namespaces, mounts, hooks, pivot_root, limits.
Result<std::string> setup_stage(const InitConfig& config, SyncChannel& channel) {
  const Spec& spec = *config.spec;
  const Process& process = *spec.process;
  if (config.double_fork) {
    TRY(intermediate_stage(config, channel));
    ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  // reset by the clone
  } else {
    TRY(join_namespaces_by_path(spec, false));
  }
  // Only now the parent has put us into our cgroups (or we go in ourselves): a cgroup
  // namespace made earlier would be rooted at the runtime's cgroup.
  TRY(channel.expect(SyncStep::Go));
  if (config.joins_cgroup_itself) {
    TRY_CTX(Cgroup(*config.cgroups, config.cgroup_path).join_as_current(config.cloned_into_unified),
            "cgroup \"{}\"", config.cgroup_path);
  }
  if (config.new_cgroup_ns && ::unshare(CLONE_NEWCGROUP) != 0)
    return fail_errno(errno, "unshare cgroup namespace");
  if (!spec.hostname.empty() && ::sethostname(spec.hostname.data(), spec.hostname.size()) != 0) {
    return fail_errno(errno, "hostname \"{}\"", spec.hostname);
  }
  if (!spec.domainname.empty() &&
      ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0) {
    return fail_errno(errno, "domainname \"{}\"", spec.domainname);
  }
  const Namespace* net_ns = spec.find_namespace("network");
  if (net_ns != nullptr && net_ns->path.empty()) TRY(bring_loopback_up());
  RootfsContext rootfs{&spec,
                       config.bundle,
                       config.cgroups,
                       config.cgroup_path,
                       spec.has_namespace("user"),
                       spec.has_namespace("cgroup")};
  auto root = TRY(prepare_rootfs(rootfs));
  std::string state_json;  // only hooks read it
  if (spec.hooks.any_before_start()) {
    TRY(channel.send(SyncStep::Hooks));
    state_json = TRY(channel.expect(SyncStep::Go));
    TRY(run_hooks(spec.hooks.create_container, "createContainer", state_json));
  }
  TRY(enter_rootfs(root.get(), spec.root_path, config.no_pivot, spec.has_namespace("mount")));
  root.reset();
  if (process.terminal && config.console_socket >= 0)
    TRY(setup_terminal(process, config.console_socket, true));
  if (config.console_socket >= 0) ::close(config.console_socket);
  TRY(finish_rootfs(spec));
  if (process.oom_score_adj) TRY(set_oom_score_adj(*process.oom_score_adj));
  TRY(apply_rlimits(process.rlimits));
  if (::chdir(process.cwd.c_str()) != 0)
    return fail_errno(errno, "process.cwd \"{}\"", process.cwd);
  return state_json;
}

// Past "ready" nobody waits on the channel: the container's stderr gets the error, and
// the exit status says "not found" (127) or "cannot run" (126) as shells do.
[[noreturn]] void fail_now(const Error& error) {
  std::fprintf(stderr, "quai-runtime: %s\n", error.to_string().c_str());
  ::_exit(error.code() == Errc::NotFound ? 127 : 126);
}

// Blocks until `start` writes its byte. The fd was opened by the runtime: in a user
// namespace our root may map to a host uid that cannot open anything in the state dir.
// It is open read-write, so there is always a writer and the read never sees EOF. It
// stays open until execve closes it: that tells `start` the program runs.
Status wait_for_start(int exec_fifo_fd) {
  char byte;
  ssize_t n;
  do {
    n = ::read(exec_fifo_fd, &byte, 1);
  } while (n < 0 && errno == EINTR);
  if (n != 1) return fail_errno(n < 0 ? errno : EIO, "read exec.fifo");
  return ok();
}

// After `start` wrote to the fifo: startContainer hooks, then the user's program.
[[noreturn]] void exec_stage(const InitConfig& config, const std::string& executable,
                             const std::string& state_json) {
  const Spec& spec = *config.spec;
  if (auto started = wait_for_start(config.exec_fifo_fd); !started) fail_now(started.error());
  if (auto hooks = run_hooks(spec.hooks.start_container, "startContainer",
                             with_status(state_json, "running"));
      !hooks) {
    fail_now(hooks.error());
  }
  fail_now(exec_process(*spec.process, executable, config.seccomp, config.preserve_fds, true));
}

}  // namespace

void run_init(const InitConfig& config, SyncChannel& channel) {
  // Die with the runtime while it still waits for us; cleared once we are ready.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // Until it execs, this process is the runtime binary inside the container's pid
  // namespace: non-dumpable, its /proc/PID/exe cannot be opened from the container to
  // overwrite the binary on the host (CVE-2019-5736). execve makes it dumpable again.
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // A flock belongs to the open file, which the clone shares: with our copy open, the
  // lock would outlive create and `start` would wait for us while we wait for it.
  if (config.state_lock_fd >= 0) ::close(config.state_lock_fd);
  for (int fd = 0; fd < 3; ++fd) {
    if (config.stdio[fd] >= 0 && config.stdio[fd] != fd && ::dup2(config.stdio[fd], fd) < 0) {
      (void)channel.send_error(Error::from_errno(errno, "dup2 the container's stdio"));
      ::_exit(1);
    }
  }
  auto setup = setup_stage(config, channel);
  Result<std::string> executable =
      setup ? find_executable(config.spec->process->args[0], config.spec->process->env)
            : std::unexpected(setup.error());
  if (!executable) {
    (void)channel.send_error(executable.error());
    ::_exit(1);
  }
  ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (!channel.send(SyncStep::Ready)) ::_exit(1);
  channel.close();
  exec_stage(config, *executable, *setup);
}

}  // namespace quai::runtime::internal
