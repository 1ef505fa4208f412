#include "engine/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/create.h"
#include "engine/internal/terminal.h"
#include "engine/lifecycle.h"
#include "engine/user.h"
#include "sys/file_io.h"
#include "sys/process.h"
#include "sys/unix_socket.h"

namespace quai::engine {
namespace {

// The container's own process settings (capabilities, rlimits, seccomp, env) with the
// request's command, user, directory and variables, as Docker builds an exec's process.
Result<runtime::Process> exec_process(const runtime::Container& container,
                                      const ContainerView& view, const ExecRequest& request) {
  if (!container.spec.process)
    return fail(Errc::Internal, "container {}: its spec has no process", view.record.name);
  runtime::Process process = *container.spec.process;
  process.args = request.args;
  process.terminal = request.tty;
  process.console_size.reset();
  if (auto size = internal::window_size(); size && request.tty)
    process.console_size = std::pair<uint32_t, uint32_t>(size->ws_row, size->ws_col);
  if (!request.working_dir.empty()) {
    if (!request.working_dir.starts_with("/")) {
      return fail(Errc::InvalidArgument,
                  "the working directory '{}' is invalid, it needs to be an absolute path",
                  request.working_dir);
    }
    process.cwd = request.working_dir;
  }
  process.env = merge_env(std::move(process.env), request.env);
  if (!request.user.empty()) {
    std::string root = fmt::format("/proc/{}/root", container.state.pid);
    sys::UniqueFd rootfs(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfs) return fail_errno(errno, "open the container's root \"{}\"", root);
    auto user = TRY(resolve_user(rootfs.get(), request.user));
    process.user.uid = user.uid;
    process.user.gid = user.gid;
    process.user.additional_gids.assign(user.additional_gids.begin(), user.additional_gids.end());
  }
  return process;
}

// Points fds 0-2 elsewhere while the runtime forks the process (it inherits them), and
// puts the CLI's own back afterwards.
class StdioSwap {
 public:
  StdioSwap(bool in, bool out) {
    sys::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    for (int fd = 0; fd < 3; ++fd) {
      if (!(fd == 0 ? in : out) || !null) continue;
      saved_[fd] = sys::UniqueFd(::fcntl(fd, F_DUPFD_CLOEXEC, 3));
      ::dup2(null.get(), fd);
    }
  }
  ~StdioSwap() {
    for (int fd = 0; fd < 3; ++fd) {
      if (saved_[fd]) ::dup2(saved_[fd].get(), fd);
    }
  }
  StdioSwap(const StdioSwap&) = delete;
  StdioSwap& operator=(const StdioSwap&) = delete;

 private:
  sys::UniqueFd saved_[3];
};

// Copies what is readable on `from` to `to`; false at end of stream.
bool pump(int from, int to) {
  char buffer[16384];
  ssize_t n = ::read(from, buffer, sizeof buffer);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n <= 0) return false;
  (void)sys::write_all(to, std::string_view(buffer, static_cast<size_t>(n)));
  return true;
}

// Relays the user's terminal and the process's pty until the process exits: SIGCHLD and
// SIGWINCH arrive on a signalfd so that the poll loop sees them in order with the data.
Result<int> relay_terminal(pid_t pid, int master, bool forward_stdin) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGCHLD);
  sigaddset(&signals, SIGWINCH);
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &signals, &previous);
  sys::UniqueFd events(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!events) return fail_errno(errno, "signalfd");
  internal::RawTerminal terminal(forward_stdin && ::isatty(STDIN_FILENO));
  std::optional<int> exit_code;
  bool stdin_open = forward_stdin, output_open = true;
  while (!exit_code) {
    struct pollfd fds[3] = {{events.get(), POLLIN, 0},
                            {output_open ? master : -1, POLLIN, 0},
                            {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0 && errno != EINTR) return fail_errno(errno, "poll");
    if (fds[1].revents) output_open = pump(master, STDOUT_FILENO);
    if (fds[2].revents && !pump(STDIN_FILENO, master)) {
      // End of input: what a user's ^D would send (a pty cannot be half-closed).
      (void)sys::write_all(master, "\x04");
      stdin_open = false;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    struct signalfd_siginfo info {};
    while (::read(events.get(), &info, sizeof info) == sizeof info) {
      if (info.ssi_signo == SIGWINCH) {
        if (auto size = internal::window_size()) ::ioctl(master, TIOCSWINSZ, &*size);
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) exit_code = sys::exit_code_from_status(status);
  }
  // The rest of the output, already written to the pty before the exit.
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  while (output_open && pump(master, STDOUT_FILENO)) {
    struct pollfd fd = {master, POLLIN, 0};
    if (::poll(&fd, 1, 0) <= 0) break;
  }
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  return *exit_code;
}

// Docker's codes for a command that could not be started: 127 not found, 126 otherwise.
ExecExit launch_failure(const Error& error) {
  return ExecExit{error.code() == Errc::NotFound ? 127 : 126, error};
}

Result<ExecExit> exec_with_terminal(Engine& engine, const ContainerView& view,
                                    runtime::ExecOptions& options, bool forward_stdin) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    return fail_errno(errno, "socketpair");
  sys::UniqueFd ours(pair[0]), theirs(pair[1]);
  options.console_socket_fd = theirs.get();
  auto pid = runtime::spawn_exec(engine.runtime_options(), view.record.id, options);
  if (!pid) return launch_failure(pid.error());
  theirs.reset();
  auto master = sys::receive_fd(ours.get());
  if (!master) {
    ::kill(*pid, SIGKILL);
    (void)sys::wait_exit_code(*pid);
    return std::unexpected(master.error());
  }
  int code = TRY(relay_terminal(*pid, master->get(), forward_stdin));
  return ExecExit{code, std::nullopt};
}

}  // namespace

Result<ExecExit> exec_in_container(Engine& engine, const ContainerView& view,
                                   const ExecRequest& request) {
  TRY(require_running(view));
  if (view.state.status == RunStatus::Paused) {
    return fail(Errc::Busy, "container {} is paused, unpause the container before exec",
                view.record.name);
  }
  if (request.args.empty()) return fail(Errc::InvalidArgument, "exec: no command given");
  auto container = TRY(runtime::load_container(engine.runtime_options(), view.record.id));
  runtime::ExecOptions options;
  options.process = TRY(exec_process(container, view, request));
  options.detach = request.detach;
  // Nobody would read a detached exec's terminal: Docker gives it none either.
  if (request.detach) options.process.terminal = false;
  if (request.tty && !request.detach)
    return exec_with_terminal(engine, view, options, request.interactive);
  // The process inherits our stdio: /dev/null for what it should not have.
  StdioSwap swap(request.detach || !request.interactive, request.detach);
  auto code = runtime::exec_in_container(engine.runtime_options(), view.record.id, options);
  if (!code) return launch_failure(code.error());
  return ExecExit{*code, std::nullopt};
}

}  // namespace quai::engine
