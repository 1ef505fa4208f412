#include "sys/syscalls.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace quai::sys {

Result<UniqueFd> openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                         mode_t mode) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  while (true) {
    long fd = ::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return UniqueFd(static_cast<int>(fd));
    if (errno != EINTR && errno != EAGAIN) return fail_errno(errno, "open \"{}\"", path);
  }
}

pid_t clone3(struct clone_args* args) {
  return static_cast<pid_t>(::syscall(SYS_clone3, args, sizeof *args));
}

Result<UniqueFd> pidfd_open(pid_t pid) {
  long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return fail_errno(errno, "pidfd_open {}", pid);
  return UniqueFd(static_cast<int>(fd));
}

int thread_count() {
  // procfs counts a task dir's links as 2 plus its threads: one stat, no parsing.
  struct stat tasks;
  if (::stat("/proc/self/task", &tasks) != 0) return 0;
  return static_cast<int>(tasks.st_nlink) - 2;
}

Status pidfd_send_signal(int pidfd, int signal) {
  if (::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0) != 0) {
    return fail_errno(errno, "send signal {}", signal);
  }
  return ok();
}

void close_range_cloexec(unsigned first) {
  constexpr unsigned kCloseRangeCloexec = 1U << 2;
  if (::syscall(SYS_close_range, first, ~0U, kCloseRangeCloexec) == 0) return;
  for (int fd = static_cast<int>(first); fd < 65536; ++fd) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

Status pivot_root(const std::string& new_root, const std::string& put_old) {
  if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) != 0) {
    return fail_errno(errno, "pivot_root \"{}\"", new_root);
  }
  return ok();
}

Status mount(const std::string& source, const std::string& target, const std::string& type,
             unsigned long flags, const std::string& data) {
  if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    return fail_errno(errno, "mount \"{}\" on \"{}\"", source, target);
  }
  return ok();
}

Status umount(const std::string& target, int flags) {
  if (::umount2(target.c_str(), flags) != 0) return fail_errno(errno, "umount \"{}\"", target);
  return ok();
}

}  // namespace quai::sys
