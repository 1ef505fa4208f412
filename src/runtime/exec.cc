// `exec`: a new process inside a running container. A first child joins the container's
// namespaces (user first), then clones the process itself with CLONE_PARENT so it enters
// the pid namespace and stays the runtime's child, to be waited on or left to a
// subreaper (conmon) when detached.

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "base/log.h"
#include "runtime/container.h"
#include "runtime/internal/sync.h"
#include "runtime/namespaces.h"
#include "runtime/process.h"
#include "runtime/rlimits.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/process.h"
#include "sys/syscalls.h"
#include "sys/unix_socket.h"

namespace quai::runtime {
namespace {

using internal::SyncChannel;
using internal::SyncStep;

struct NamespaceFd {
  std::string type;
  sys::UniqueFd fd;
};

// Opened before forking: the init could exit meanwhile, and then nothing is joined.
Result<std::vector<NamespaceFd>> open_namespaces(const Container& container) {
  std::vector<NamespaceFd> out;
  if (!container.spec.linux_) return out;
  std::vector<std::string> order;
  for (const auto& ns : container.spec.linux_->namespaces) {
    if (ns.type == "user")
      order.insert(order.begin(), ns.type);
    else
      order.push_back(ns.type);
  }
  for (const auto& type : order) {
    std::string path =
        fmt::format("/proc/{}/ns/{}", container.state.pid, namespace_proc_name(type));
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno(errno, "open \"{}\"", path);
    out.push_back({type, std::move(fd)});
  }
  return out;
}

Status join_all(const std::vector<NamespaceFd>& namespaces) {
  for (const auto& ns : namespaces) {
    if (::setns(ns.fd.get(), namespace_clone_flag(ns.type)) != 0) {
      return fail_errno(errno, "join the container's {} namespace", ns.type);
    }
  }
  return ok();
}

struct ExecPlan {
  const Container* container;
  const ExecOptions* exec;
  std::vector<NamespaceFd> namespaces;
  std::optional<SeccompProgram> seccomp;
  int console_socket = -1;
  sys::UniqueFd root;  // the init's root, when the container shares our mount namespace
};

// Without a mount namespace of its own the container's root is a chroot: follow it.
Status enter_root(const ExecPlan& plan) {
  if (!plan.root) return ok();
  if (::fchdir(plan.root.get()) != 0 || ::chroot(".") != 0)
    return fail_errno(errno, "enter the container's root");
  return ok();
}

Result<std::string> prepare_process(const ExecPlan& plan) {
  const Process& process = plan.exec->process;
  // Without a console socket a terminal process keeps the caller's stdio (a tty already).
  if (process.terminal && plan.console_socket >= 0)
    TRY(setup_terminal(process, plan.console_socket, false));
  if (plan.console_socket >= 0) ::close(plan.console_socket);
  if (process.oom_score_adj) TRY(set_oom_score_adj(*process.oom_score_adj));
  TRY(apply_rlimits(process.rlimits));
  if (::chdir(process.cwd.c_str()) != 0)
    return fail_errno(errno, "process.cwd \"{}\"", process.cwd);
  return find_executable(process.args[0], process.env);
}

// The process: wait for the parent to place us in the cgroup, set up, exec.
[[noreturn]] void run_exec_process(const ExecPlan& plan, SyncChannel& channel) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  Result<std::string> executable = channel.expect(SyncStep::Go);
  if (executable) executable = prepare_process(plan);
  if (executable) {
    ::prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    const SeccompProgram* seccomp = plan.seccomp ? &*plan.seccomp : nullptr;
    Error error =
        exec_process(plan.exec->process, *executable, seccomp, plan.exec->preserve_fds, true);
    executable = std::unexpected(error);
  }
  (void)channel.send_error(executable.error());
  ::_exit(executable.error().code() == Errc::NotFound ? 127 : 126);
}

// The first child: non-dumpable so processes in the container cannot open
// /proc/PID/exe of the runtime binary (CVE-2019-5736) while it sits in their namespaces.
[[noreturn]] void run_joiner(const ExecPlan& plan, SyncChannel& channel) {
  ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  auto joined = join_all(plan.namespaces);
  if (joined) joined = enter_root(plan);
  if (!joined) {
    (void)channel.send_error(joined.error());
    ::_exit(1);
  }
  struct clone_args args = {};
  // clone3 refuses an exit_signal with CLONE_PARENT; the child inherits ours (SIGCHLD).
  args.flags = CLONE_PARENT;
  pid_t pid = sys::clone3(&args);
  if (pid < 0) {
    (void)channel.send_error(Error::from_errno(errno, "clone the exec process"));
    ::_exit(1);
  }
  if (pid == 0) run_exec_process(plan, channel);
  (void)channel.send(SyncStep::Pid, std::to_string(pid));
  ::_exit(0);
}

Result<pid_t> launch(const ExecPlan& plan, const Cgroup& cgroup) {
  auto [parent_channel, child_channel] = TRY(SyncChannel::make_pair());
  pid_t joiner = ::fork();
  if (joiner < 0) return fail_errno(errno, "fork");
  if (joiner == 0) {
    parent_channel.close();
    run_joiner(plan, child_channel);
  }
  child_channel.close();
  auto pid_text = parent_channel.expect(SyncStep::Pid);
  (void)sys::wait_exit_code(joiner);
  if (!pid_text) return std::unexpected(pid_text.error());
  pid_t pid = static_cast<pid_t>(std::stol(*pid_text));
  auto placed = cgroup.add_process(pid);
  if (placed) placed = parent_channel.send(SyncStep::Go);
  if (placed) {
    // EOF means exec succeeded (the channel is close-on-exec); a message is an error.
    auto message = parent_channel.receive();
    if (message && message->step != SyncStep::Failed)
      placed = fail(Errc::Internal, "sync: unexpected message");
    if (!message && message.error().code() != Errc::Internal)
      placed = std::unexpected(message.error());
  }
  if (!placed) {
    ::kill(pid, SIGKILL);
    (void)sys::wait_exit_code(pid);
    return std::unexpected(placed.error());
  }
  return pid;
}

pid_t g_forward_to = 0;
void forward_signal(int signal) { ::kill(g_forward_to, signal); }

Result<int> wait_forwarding_signals(pid_t pid) {
  g_forward_to = pid;
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
    struct sigaction action = {};
    action.sa_handler = forward_signal;
    ::sigaction(signal, &action, nullptr);
  }
  return sys::wait_exit_code(pid);
}

}  // namespace

Result<pid_t> spawn_exec(const RuntimeOptions& options, const std::string& id,
                         const ExecOptions& exec) {
  Container container = TRY(load_container(options, id));
  TRY(require_status(container, {ContainerStatus::Running, ContainerStatus::Created}, "exec in"));
  if (exec.process.args.empty())
    return fail(Errc::InvalidArgument, "process.args: must not be empty");
  auto namespaces = TRY(open_namespaces(container));
  ExecPlan plan{&container, &exec, std::move(namespaces), std::nullopt, -1, sys::UniqueFd()};
  if (!container.spec.has_namespace("mount")) {
    std::string root = fmt::format("/proc/{}/root", container.state.pid);
    plan.root = sys::UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!plan.root) return fail_errno(errno, "open \"{}\"", root);
  }
  if (container.spec.linux_ && container.spec.linux_->seccomp) {
    plan.seccomp =
        TRY(compile_seccomp(*container.spec.linux_->seccomp, options.root + "/seccomp-cache"));
  }
  sys::UniqueFd console;
  if (exec.process.terminal && exec.console_socket_fd >= 0) {
    console = sys::UniqueFd(::fcntl(exec.console_socket_fd, F_DUPFD_CLOEXEC, 3));
    if (!console) return fail_errno(errno, "console socket");
  } else if (exec.process.terminal && !exec.console_socket.empty()) {
    console = TRY(sys::connect_unix(exec.console_socket));
  }
  plan.console_socket = console.get();
  pid_t pid = TRY_CTX(launch(plan, container.cgroup()), "exec in container \"{}\"", id);
  if (!exec.pid_file.empty())
    TRY(sys::write_file_atomic(exec.pid_file, std::to_string(pid), 0644,
                               sys::Durability::Volatile));
  return pid;
}

Result<int> exec_in_container(const RuntimeOptions& options, const std::string& id,
                              const ExecOptions& exec) {
  bool has_console = !exec.console_socket.empty() || exec.console_socket_fd >= 0;
  if (exec.process.terminal && !has_console && exec.detach) {
    return fail(Errc::InvalidArgument, "a detached exec with a terminal needs --console-socket");
  }
  pid_t pid = TRY(spawn_exec(options, id, exec));
  if (exec.detach) return 0;
  return wait_forwarding_signals(pid);
}

}  // namespace quai::runtime
