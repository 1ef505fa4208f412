#include "runtime/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "base/log.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/process.h"

namespace quai::runtime {
namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Status run_hook(const Hook& hook, std::string_view state_json) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  sys::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::vector<std::string> args =
      hook.args.empty() ? std::vector<std::string>{hook.path} : hook.args;
  std::vector<std::string> env = hook.env;
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno(errno, "fork");
  if (pid == 0) {
    reset_signals_for_exec();
    ::dup2(read_end.get(), STDIN_FILENO);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  read_end.reset();
  // A hook that does not read its stdin must not fail the runtime (EPIPE is ignored).
  (void)sys::write_all(write_end.get(), state_json);
  write_end.reset();
  if (!hook.timeout_seconds) {
    int code = TRY(sys::wait_exit_code(pid));
    if (code != 0) return fail(Errc::Io, "exited with status {}", code);
    return ok();
  }
  auto code = TRY(sys::wait_exit_code_for(pid, std::chrono::seconds(*hook.timeout_seconds)));
  if (!code) {
    ::kill(pid, SIGKILL);
    (void)sys::wait_exit_code(pid);
    return fail(Errc::Timeout, "timed out after {} s", *hook.timeout_seconds);
  }
  if (*code != 0) return fail(Errc::Io, "exited with status {}", *code);
  return ok();
}

}  // namespace

Status run_hooks(const std::vector<Hook>& hooks, std::string_view kind,
                 std::string_view state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    TRY_CTX(run_hook(hooks[i], state_json), "hooks.{}[{}] \"{}\"", kind, i, hooks[i].path);
  }
  return ok();
}

void run_hooks_warn(const std::vector<Hook>& hooks, std::string_view kind,
                    std::string_view state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    if (auto status = run_hook(hooks[i], state_json); !status) {
      log::warn("hooks.{}[{}] \"{}\": {}", kind, i, hooks[i].path, status.error().to_string());
    }
  }
}

void reset_signals_for_exec() {
  struct sigaction action = {};
  action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &action, nullptr);
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
}

}  // namespace quai::runtime
