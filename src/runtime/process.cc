#include "runtime/process.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

#include "base/strings.h"
#include "runtime/capabilities.h"
#include "runtime/hooks.h"
#include "runtime/rootfs.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/syscalls.h"
#include "sys/unix_socket.h"

namespace quai::runtime {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

bool is_executable_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Status switch_user(const User& user, bool set_groups) {
  if (set_groups) {
    std::vector<gid_t> groups(user.additional_gids.begin(), user.additional_gids.end());
    if (::setgroups(groups.size(), groups.data()) != 0) return fail_errno(errno, "setgroups");
  }
  if (::setresgid(user.gid, user.gid, user.gid) != 0)
    return fail_errno(errno, "setgid {}", user.gid);
  // Keep the permitted set across the uid change so the configured capabilities can be
  // set afterwards; the effective set is rebuilt explicitly.
  if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return fail_errno(errno, "prctl(PR_SET_KEEPCAPS)");
  if (::setresuid(user.uid, user.uid, user.uid) != 0)
    return fail_errno(errno, "setuid {}", user.uid);
  if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return fail_errno(errno, "prctl(PR_SET_KEEPCAPS)");
  return ok();
}

Status prepare_exec(const Process& process, const SeccompProgram* seccomp, bool set_groups) {
  // Without no_new_privs, installing a filter needs CAP_SYS_ADMIN, which the process may
  // be about to lose: load it first. With it, load it last so it filters only the program.
  bool seccomp_early = seccomp != nullptr && !process.no_new_privileges;
  if (seccomp_early) TRY(load_seccomp(*seccomp));
  if (process.capabilities) TRY(drop_bounding_set(*process.capabilities));
  TRY(switch_user(process.user, set_groups));
  if (process.capabilities) TRY(apply_capability_sets(*process.capabilities));
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail_errno(errno, "prctl(PR_SET_NO_NEW_PRIVS)");
  }
  ::umask(process.user.umask.value_or(022));
  if (seccomp != nullptr && !seccomp_early) TRY(load_seccomp(*seccomp));
  return ok();
}

}  // namespace

Result<std::string> find_executable(const std::string& name, const std::vector<std::string>& env) {
  if (name.empty()) return fail(Errc::InvalidArgument, "process.args[0] is empty");
  if (name.find('/') != std::string::npos) {
    struct stat st;
    if (::stat(name.c_str(), &st) != 0) return fail_errno(errno, "exec \"{}\"", name);
    return name;
  }
  std::string path = kDefaultPath;
  for (const auto& entry : env) {
    if (entry.starts_with("PATH=")) path = entry.substr(5);
  }
  for (const auto& dir : split(path, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return fail(Errc::NotFound, "executable file `{}` not found in $PATH", name);
}

Error exec_process(const Process& process, const std::string& executable,
                   const SeccompProgram* seccomp, int preserve_fds, bool set_groups) {
  // No descriptor of the runtime (state dir, cgroup files, sockets) may reach the
  // container: CVE-2024-21626 was a leaked directory fd. Before seccomp: profiles that
  // predate close_range(2) refuse it, and the fcntl fallback over 64k fds then delays the
  // exec enough that an early `kill` reaches the program before it installs handlers.
  sys::close_range_cloexec(3 + static_cast<unsigned>(preserve_fds));
  if (auto prepared = prepare_exec(process, seccomp, set_groups); !prepared)
    return prepared.error();
  reset_signals_for_exec();
  std::vector<std::string> args = process.args;
  std::vector<std::string> env = process.env;
  auto argv = c_strings(args);
  auto envp = c_strings(env);
  ::execve(executable.c_str(), argv.data(), envp.data());
  return Error::from_errno(errno, fmt::format("exec \"{}\"", executable));
}

Status setup_terminal(const Process& process, int console_socket, bool bind_dev_console) {
  sys::UniqueFd master(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!master) return fail_errno(errno, "open /dev/ptmx");
  if (::unlockpt(master.get()) != 0) return fail_errno(errno, "unlockpt");
  sys::UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!slave) return fail_errno(errno, "open the terminal's slave");
  if (process.console_size) {
    struct winsize size = {};
    size.ws_row = static_cast<unsigned short>(process.console_size->first);
    size.ws_col = static_cast<unsigned short>(process.console_size->second);
    ::ioctl(slave.get(), TIOCSWINSZ, &size);
  }
  if (bind_dev_console) TRY(bind_console(slave.get()));
  TRY_CTX(sys::send_fd(console_socket, master.get(), "/dev/ptmx"), "console socket");
  master.reset();
  if (::setsid() < 0) return fail_errno(errno, "setsid");
  if (::ioctl(slave.get(), TIOCSCTTY, 0) != 0) return fail_errno(errno, "set controlling terminal");
  for (int fd = 0; fd < 3; ++fd) {
    if (::dup2(slave.get(), fd) < 0) return fail_errno(errno, "dup2 terminal to fd {}", fd);
  }
  return ok();
}

Status set_oom_score_adj(int value) {
  return with_context(sys::write_existing("/proc/self/oom_score_adj", std::to_string(value)),
                      "process.oomScoreAdj");
}

}  // namespace quai::runtime
