// The default seccomp profile: an allowlist written from the syscall reference, grouped by
// what programs use the calls for. A group with a capability is added only for containers
// that hold it: the kernel then already trusts them with what those calls can do. Names
// libseccomp does not know (newer syscalls) are skipped by the runtime and stay refused.

#include <linux/sched.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <set>
#include <span>

#include "engine/internal/capability_names.h"
#include "engine/security_defaults.h"

namespace quai::engine {
namespace {

using Names = std::span<const std::string_view>;

// Tables of names are packed by hand: clang-format would put one name on each line.
// clang-format off
// Reading, writing and managing open descriptors: every program. The kernel already
// checked access when the descriptor was opened.
constexpr std::string_view kDescriptors[] = {
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "preadv2", "pwritev",
    "pwritev2", "lseek", "_llseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
    "fcntl64", "ioctl", "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range",
    "fadvise64", "fadvise64_64", "readahead", "fallocate", "ftruncate", "ftruncate64", "truncate",
    "truncate64", "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range",
    "cachestat"};

// Naming, opening and inspecting files. pivot_root and the mount namespace confine them to
// the container's tree; mknod needs CAP_MKNOD and the device cgroup, chroot CAP_SYS_CHROOT.
constexpr std::string_view kPaths[] = {
    "open", "openat", "openat2", "creat", "access", "faccessat", "faccessat2", "stat", "lstat",
    "fstat", "newfstatat", "stat64", "lstat64", "fstat64", "fstatat64", "statx", "statfs",
    "statfs64", "fstatfs", "fstatfs64", "readlink", "readlinkat", "getdents", "getdents64", "mkdir",
    "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat",
    "symlink", "symlinkat", "chdir", "fchdir", "getcwd", "chroot", "mknod", "mknodat"};

// Modes, owners, times and extended attributes: the kernel checks ownership or
// CAP_CHOWN/CAP_FOWNER, and trusted.* attributes need CAP_SYS_ADMIN.
constexpr std::string_view kAttributes[] = {
    "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "chown32",
    "fchown32", "lchown32", "umask", "utime", "utimes", "futimesat", "utimensat",
    "utimensat_time64", "getxattr", "lgetxattr", "fgetxattr", "getxattrat", "setxattr", "lsetxattr",
    "fsetxattr", "setxattrat", "listxattr", "llistxattr", "flistxattr", "listxattrat",
    "removexattr", "lremovexattr", "fremovexattr", "removexattrat", "file_getattr", "file_setattr"};

// The process's own memory: mapping, protection, locking (bounded by RLIMIT_MEMLOCK),
// anonymous files, protection keys, shadow stacks and sealing (hardening in new glibc).
constexpr std::string_view kMemory[] = {
    "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "mlock",
    "mlock2", "munlock", "mlockall", "munlockall", "remap_file_pages", "memfd_create", "membarrier",
    "pkey_alloc", "pkey_free", "pkey_mprotect", "get_mempolicy", "mseal", "map_shadow_stack"};

// Processes and threads inside the container's pid namespace (clone and unshare are
// filtered further down), the per-thread state libc and language runtimes register (TLS,
// robust futex lists, rseq), and pidfds, which only reach processes the caller can see.
constexpr std::string_view kProcesses[] = {
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "waitpid",
    "kill", "tkill", "tgkill", "getpid", "getppid", "gettid", "getpgid", "setpgid", "getpgrp",
    "getsid", "setsid", "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
    "arch_prctl", "prctl", "set_thread_area", "get_thread_area", "pidfd_open", "pidfd_send_signal",
    "process_mrelease"};

// Debuggers and profilers inside the container. The kernel limits ptrace and cross-process
// memory access to processes with the same credentials unless CAP_SYS_PTRACE is held, and
// since Linux 4.8 (older than the clone3 the runtime needs) a tracer cannot skip this filter.
constexpr std::string_view kDebugging[] = {"ptrace", "process_vm_readv", "process_vm_writev"};

// Scheduling and I/O priority of the container's processes. Raising a priority or choosing
// a real-time class needs CAP_SYS_NICE, checked by the kernel; the cgroup bounds CPU use.
constexpr std::string_view kScheduling[] = {
    "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getparam", "sched_setparam",
    "sched_getscheduler", "sched_setscheduler", "sched_getattr", "sched_setattr",
    "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval",
    "sched_rr_get_interval_time64", "getpriority", "setpriority", "nice", "ioprio_get",
    "ioprio_set", "getcpu"};

// Signals: handlers, masks, waiting and queueing. Sending is limited by the kernel to
// processes of the same user, and the pid namespace hides everything outside.
constexpr std::string_view kSignals[] = {
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_sigqueueinfo", "rt_tgsigqueueinfo",
    "sigaction", "sigprocmask", "sigreturn", "sigpending", "sigsuspend", "signal", "sigaltstack",
    "signalfd", "signalfd4", "pause", "alarm", "restart_syscall"};

// Credentials and resource limits. Changing ids needs CAP_SETUID/CAP_SETGID, raising a hard
// limit CAP_SYS_RESOURCE, both checked by the kernel; the 32-bit calls have *32 variants.
constexpr std::string_view kCredentials[] = {
    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups", "setuid",
    "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid",
    "getuid32", "geteuid32", "getgid32", "getegid32", "getresuid32", "getresgid32", "getgroups32",
    "setuid32", "setgid32", "setreuid32", "setregid32", "setresuid32", "setresgid32", "setgroups32",
    "setfsuid32", "setfsgid32", "capget", "capset", "getrlimit", "setrlimit", "ugetrlimit",
    "prlimit64", "getrusage", "times"};

// Clocks, sleeps and timers. adjtimex only reads unless the caller holds CAP_SYS_TIME (a
// kernel check; glibc's ntp_gettime uses it); setting the clock is a group of its own.
constexpr std::string_view kTime[] = {
    "clock_gettime", "clock_gettime64", "clock_getres", "clock_getres_time64", "clock_nanosleep",
    "clock_nanosleep_time64", "gettimeofday", "time", "nanosleep", "adjtimex", "timer_create",
    "timer_delete", "timer_settime", "timer_settime64", "timer_gettime", "timer_gettime64",
    "timer_getoverrun", "timerfd_create", "timerfd_settime", "timerfd_settime64", "timerfd_gettime",
    "timerfd_gettime64", "getitimer", "setitimer"};

// Waiting for events: select, poll and epoll, eventfd, inotify and fanotify marks (creating
// a fanotify group needs CAP_SYS_ADMIN), futexes including futex_waitv (Wine) and the futex2
// calls, and Linux AIO used by databases.
constexpr std::string_view kWaiting[] = {
    "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
    "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "eventfd", "eventfd2", "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch",
    "fanotify_mark", "futex", "futex_time64", "futex_waitv", "futex_wake", "futex_wait",
    "futex_requeue", "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents",
    "io_pgetevents", "io_pgetevents_time64"};

// Pipes and System V and POSIX IPC; the IPC namespace gives the container its own queues,
// semaphores and shared memory. "ipc" multiplexes System V IPC for 32-bit programs.
constexpr std::string_view kIpc[] = {
    "pipe", "pipe2", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semtimedop",
    "semtimedop_time64", "semctl", "shmget", "shmat", "shmdt", "shmctl", "ipc", "mq_open",
    "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64",
    "mq_notify", "mq_getsetattr"};

// Sockets in the container's network namespace (socket() itself is filtered further down).
// socketcall multiplexes these for 32-bit programs; its arguments sit in memory where BPF
// cannot read them, so it is allowed whole.
constexpr std::string_view kNetwork[] = {
    "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname", "getpeername",
    "sendto", "recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "recvmmsg_time64",
    "shutdown", "setsockopt", "getsockopt", "socketcall"};

// What the container may learn about where it runs: uname (UTS namespace), sysinfo,
// randomness, and the mounts of its own mount namespace (as /proc/self/mountinfo shows).
constexpr std::string_view kSystem[] = {
    "uname", "sysinfo", "getrandom", "statmount", "listmount", "lsm_get_self_attr",
    "lsm_list_modules"};

// A process narrowing its own rights: seccomp filters only ever add restrictions, and so do
// Landlock rulesets (sandboxing in apt's methods, browsers, language runtimes).
constexpr std::string_view kSelfRestriction[] = {
    "seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"};

// The kernel's uretprobe trampoline makes this call inside any process a host tool probes;
// refusing it would kill the probed program.
constexpr std::string_view kKernelTrampolines[] = {"uretprobe"};

// CAP_SYS_ADMIN: the container is trusted with mounts and namespaces of its own, host names,
// quotas, fanotify groups, BPF and perf. clone, clone3 and unshare lose their filters.
constexpr std::string_view kSysAdmin[] = {
    "mount", "umount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick",
    "move_mount", "open_tree", "open_tree_attr", "mount_setattr", "setns", "unshare", "clone",
    "clone3", "sethostname", "setdomainname", "quotactl", "quotactl_fd", "fanotify_init",
    "name_to_handle_at", "bpf", "perf_event_open"};

// Cross-process inspection beyond ptrace: kcmp orders kernel pointers (a KASLR leak),
// pidfd_getfd and process_madvise reach into other processes, and userfaultfd stalls the
// kernel at chosen points, an exploit staple (the kernel's own sysctl asks for this cap).
constexpr std::string_view kSysPtrace[] = {"kcmp", "pidfd_getfd", "process_madvise", "userfaultfd"};

// The realtime clock is not namespaced: setting it sets the host's.
constexpr std::string_view kSysTime[] = {
    "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime",
    "clock_adjtime64"};

// NUMA placement of memory: binding and migrating pages shift load onto the host's nodes.
constexpr std::string_view kSysNice[] = {
    "mbind", "set_mempolicy", "set_mempolicy_home_node", "migrate_pages", "move_pages"};

// File handles open files by inode number, outside the mount namespace (the "shocker"
// escape); name_to_handle_at only makes sense with them.
constexpr std::string_view kDacReadSearch[] = {"open_by_handle_at", "name_to_handle_at"};

// Calls whose whole point is what the capability grants.
constexpr std::string_view kBpf[] = {"bpf"};
constexpr std::string_view kPerfmon[] = {"perf_event_open"};
constexpr std::string_view kSysModule[] = {"init_module", "finit_module", "delete_module"};
constexpr std::string_view kSysBoot[] = {"reboot"};  // in a pid namespace: ends its init
constexpr std::string_view kSysRawio[] = {"iopl", "ioperm"};
constexpr std::string_view kSysPacct[] = {"acct"};
constexpr std::string_view kSyslog[] = {"syslog"};
constexpr std::string_view kSysTtyConfig[] = {"vhangup"};
// clang-format on

struct Group {
  std::string_view capability;  // empty: every container
  Names names;
};

constexpr Group kGroups[] = {
    {"", kDescriptors},
    {"", kPaths},
    {"", kAttributes},
    {"", kMemory},
    {"", kProcesses},
    {"", kDebugging},
    {"", kScheduling},
    {"", kSignals},
    {"", kCredentials},
    {"", kTime},
    {"", kWaiting},
    {"", kIpc},
    {"", kNetwork},
    {"", kSystem},
    {"", kSelfRestriction},
    {"", kKernelTrampolines},
    {"CAP_SYS_ADMIN", kSysAdmin},
    {"CAP_SYS_PTRACE", kSysPtrace},
    {"CAP_SYS_TIME", kSysTime},
    {"CAP_SYS_NICE", kSysNice},
    {"CAP_DAC_READ_SEARCH", kDacReadSearch},
    {"CAP_BPF", kBpf},
    {"CAP_PERFMON", kPerfmon},
    {"CAP_SYS_MODULE", kSysModule},
    {"CAP_SYS_BOOT", kSysBoot},
    {"CAP_SYS_RAWIO", kSysRawio},
    {"CAP_SYS_PACCT", kSysPacct},
    {"CAP_SYSLOG", kSyslog},
    {"CAP_SYS_TTY_CONFIG", kSysTtyConfig},
};

// Refused whatever the capabilities; the reasons are in docs/DECISIONS.md.
// clang-format off
constexpr std::string_view kNeverAllowed[] = {
    "keyctl", "add_key", "request_key",                       // keyrings: shared kernel state
    "kexec_load", "kexec_file_load",                          // would replace the host kernel
    "swapon", "swapoff",                                      // host-wide swap
    "io_uring_setup", "io_uring_enter", "io_uring_register",  // operations bypass this filter
    "modify_ldt", "vm86", "vm86old",                          // 16-bit code, a history of bugs
    "memfd_secret",                                           // blocks hibernating the host
    "lsm_set_self_attr",                                      // labels are the runtime's job
    "uselib", "_sysctl", "ustat", "sysfs", "nfsservctl", "lookup_dcookie"};  // obsolete
// clang-format on

// Namespace flags of clone(2) and unshare(2). CLONE_NEWTIME shares its bit with the exit
// signal in clone's flags, so it is only a namespace flag for unshare.
constexpr uint64_t kNamespaceFlags = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
                                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET;

// A call allowed only when its first argument passes one comparison.
struct ArgFilter {
  std::string_view name;
  std::string_view unless_capability;  // holders get the call unfiltered from a group
  std::string_view op;
  uint64_t value;
  uint64_t value_two;
};

constexpr ArgFilter kArgFilters[] = {
    // Threads and processes, but no namespaces: a user namespace is where most
    // unprivileged kernel exploits start.
    {"clone", "CAP_SYS_ADMIN", "SCMP_CMP_MASKED_EQ", kNamespaceFlags, 0},
    {"unshare", "CAP_SYS_ADMIN", "SCMP_CMP_MASKED_EQ", kNamespaceFlags | CLONE_NEWTIME, 0},
    // Linux and 32-bit Linux, each with or without the 2.6 uname; 0xffffffff only queries.
    // READ_IMPLIES_EXEC and ADDR_NO_RANDOMIZE would undo hardening.
    {"personality", "", "SCMP_CMP_EQ", 0x0, 0},
    {"personality", "", "SCMP_CMP_EQ", 0x0008, 0},
    {"personality", "", "SCMP_CMP_EQ", 0x20000, 0},
    {"personality", "", "SCMP_CMP_EQ", 0x20008, 0},
    {"personality", "", "SCMP_CMP_EQ", 0xffffffff, 0},
    // Every address family but AF_VSOCK, which reaches the host or hypervisor past the
    // network namespace. libseccomp allows one comparison per argument and the kernel reads
    // only the low 32 bits, so "!= 40" would let 0x1_00000028 through: the families above
    // AF_VSOCK are listed one by one, and new ones stay refused until added here.
    {"socket", "", "SCMP_CMP_LT", AF_VSOCK, 0},
    {"socket", "", "SCMP_CMP_EQ", AF_KCM, 0},
    {"socket", "", "SCMP_CMP_EQ", AF_QIPCRTR, 0},
    {"socket", "", "SCMP_CMP_EQ", AF_SMC, 0},
    {"socket", "", "SCMP_CMP_EQ", AF_XDP, 0},
    {"socket", "", "SCMP_CMP_EQ", AF_MCTP, 0},
};

Json allow_rule(const std::set<std::string>& names) {
  return {{"names", names}, {"action", "SCMP_ACT_ALLOW"}};
}

Json filtered_rule(const ArgFilter& filter) {
  Json arg = {{"index", 0}, {"value", filter.value}, {"op", filter.op}};
  if (filter.value_two != 0) arg["valueTwo"] = filter.value_two;
  return {{"names", Json::array({filter.name})},
          {"action", "SCMP_ACT_ALLOW"},
          {"args", Json::array({arg})}};
}

bool has(const std::set<std::string>& caps, std::string_view cap) {
  return caps.contains(std::string(cap));
}

}  // namespace

Json default_seccomp_profile(const std::vector<std::string>& capabilities) {
  std::set<std::string> caps = internal::capability_set(capabilities);
  std::set<std::string> allowed;
  for (const auto& group : kGroups) {
    if (group.capability.empty() || has(caps, group.capability)) {
      allowed.insert(group.names.begin(), group.names.end());
    }
  }
  Json rules = Json::array({allow_rule(allowed)});
  for (const auto& filter : kArgFilters) {
    if (!has(caps, filter.unless_capability)) rules.push_back(filtered_rule(filter));
  }
  // clone3 passes its flags in a struct that BPF cannot read. ENOSYS, not EPERM, makes
  // glibc (2.34+) and Go fall back to clone, where the flags are filtered above.
  if (!has(caps, "CAP_SYS_ADMIN")) {
    rules.push_back(
        {{"names", Json::array({"clone3"})}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", ENOSYS}});
  }
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", EPERM},
          {"architectures", Json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"})},
          {"syscalls", rules}};
}

std::vector<std::string_view> never_allowed_syscalls() {
  return {std::begin(kNeverAllowed), std::end(kNeverAllowed)};
}

}  // namespace quai::engine
