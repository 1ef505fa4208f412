#pragma once
// Thin wrappers over system calls that glibc 2.36 lacks or that need their key arguments
// in the error: openat2, clone3, pidfd_*, pivot_root, mount.

#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/types.h>

#include <string>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::sys {

/// openat2 with a resolve mask; errors name `path`.
Result<UniqueFd> openat2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve,
                         mode_t mode = 0);

/// Raw clone3: returns the child's pid in the parent and 0 in the child, or -1 with errno.
pid_t clone3(struct clone_args* args);

Result<UniqueFd> pidfd_open(pid_t pid);
/// The threads of this process (from /proc/self/stat); 0 when it cannot be read.
int thread_count();
Status pidfd_send_signal(int pidfd, int signal);
/// Falls back to close()ing fds one by one where close_range(2) is missing.
void close_range_cloexec(unsigned first);

Status pivot_root(const std::string& new_root, const std::string& put_old);

Status mount(const std::string& source, const std::string& target, const std::string& type,
             unsigned long flags, const std::string& data);
Status umount(const std::string& target, int flags);

}  // namespace quai::sys
