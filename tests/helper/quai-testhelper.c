/*
 * quai-testhelper: a tiny static program that quai's integration tests put
 * inside container root filesystems (a busybox rootfs). It reports what the
 * process sees from inside the container (credentials, capabilities, mounts,
 * limits, ...) in a fixed, line-oriented format the tests assert on, and it can
 * provoke behaviour (OOM, fork limits, signals, exit codes) on demand.
 *
 * Usage: quai-testhelper CMD [ARGS] [CMD [ARGS]...]   (see README.md)
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -o quai-testhelper quai-testhelper.c
 * It must stay libc-only and static: the rootfs has no shared libraries for it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

#define PROG "quai-testhelper"

/* Errors in how the helper was invoked: a broken test, not a container
 * behaviour, so they go to stderr with a distinct exit status. */
static void usage_error(const char* fmt, ...) {
  va_list ap;
  fflush(stdout);
  fputs(PROG ": ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(2);
}

/* ---- small utilities ---------------------------------------------------- */

/* Print "<label><value>" for the "KEY:\tvalue" line of /proc/self/status. */
static void print_status_field(const char* key, const char* label) {
  char line[4096], *val = "unknown";
  size_t klen = strlen(key);
  FILE* f = fopen("/proc/self/status", "re");
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
      val = line + klen + 1 + strspn(line + klen + 1, " \t");
      val[strcspn(val, "\n")] = '\0';
      break;
    }
  }
  printf("%s%s\n", label, val);
  if (f) fclose(f);
}

/* Copy a file to stdout verbatim; errors are printed on stdout as
 * "CMD PATH: <strerror>" because tests assert on them like any other output. */
static void cat_file(const char* cmd, const char* path) {
  char buf[8192];
  size_t n;
  FILE* f = fopen(path, "re");
  if (!f) {
    printf("%s %s: %s\n", cmd, path, strerror(errno));
    return;
  }
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, n, stdout);
  if (ferror(f)) printf("%s %s: %s\n", cmd, path, strerror(errno));
  fclose(f);
}

static int parse_ull(const char* s, unsigned long long* out) {
  char* end;
  if (*s < '0' || *s > '9') return -1; /* strtoull would accept "-1" and " 1" */
  errno = 0;
  *out = strtoull(s, &end, 10);
  return (errno || *end) ? -1 : 0;
}

static unsigned long long num(const char* s) {
  unsigned long long v = 0;
  parse_ull(s, &v); /* already validated before any command ran */
  return v;
}

/* ---- commands ----------------------------------------------------------- */

static void cmd_caps(void) {
  static const char* const sets[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"};
  char label[16];
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
    snprintf(label, sizeof label, "%s: ", sets[i]);
    print_status_field(sets[i], label);
  }
}

static void cmd_ids(void) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  printf("uid=%u/%u/%u gid=%u/%u/%u groups=", ru, eu, su, rg, eg, sg);
  int n = getgroups(0, NULL);
  gid_t* groups = n > 0 ? calloc((size_t)n, sizeof *groups) : NULL;
  if (groups) n = getgroups(n, groups);
  for (int i = 0; groups && i < n; i++) printf(i ? ",%u" : "%u", groups[i]);
  free(groups);
  putchar('\n');
}

static void cmd_mounts(void) { cat_file("mounts", "/proc/self/mountinfo"); }
static void cmd_cgroup(void) { cat_file("cgroup", "/proc/self/cgroup"); }

static void cmd_hostname(void) {
  struct utsname u;
  uname(&u);
  printf("hostname=%s\ndomainname=%s\n", u.nodename, u.domainname);
}

static void cmd_rlimits(void) {
  /* clang-format off */
  static const struct { const char* name; int res; } limits[] = {
      {"CPU", RLIMIT_CPU},           {"FSIZE", RLIMIT_FSIZE},
      {"DATA", RLIMIT_DATA},         {"STACK", RLIMIT_STACK},
      {"CORE", RLIMIT_CORE},         {"RSS", RLIMIT_RSS},
      {"NPROC", RLIMIT_NPROC},       {"NOFILE", RLIMIT_NOFILE},
      {"MEMLOCK", RLIMIT_MEMLOCK},   {"AS", RLIMIT_AS},
      {"LOCKS", RLIMIT_LOCKS},       {"SIGPENDING", RLIMIT_SIGPENDING},
      {"MSGQUEUE", RLIMIT_MSGQUEUE}, {"NICE", RLIMIT_NICE},
      {"RTPRIO", RLIMIT_RTPRIO},     {"RTTIME", RLIMIT_RTTIME},
  };
  /* clang-format on */
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    struct rlimit rl;
    char soft[32], hard[32];
    if (getrlimit(limits[i].res, &rl) != 0) {
      printf("rlimit %s: %s\n", limits[i].name, strerror(errno));
      continue;
    }
    snprintf(soft, sizeof soft, "%llu", (unsigned long long)rl.rlim_cur);
    snprintf(hard, sizeof hard, "%llu", (unsigned long long)rl.rlim_max);
    printf("rlimit %s soft=%s hard=%s\n", limits[i].name,
           rl.rlim_cur == RLIM_INFINITY ? "unlimited" : soft,
           rl.rlim_max == RLIM_INFINITY ? "unlimited" : hard);
  }
}

static void cmd_seccomp(void) {
  print_status_field("Seccomp", "seccomp=");
  print_status_field("NoNewPrivs", "nonewprivs=");
}

static void cmd_umask(void) {
  mode_t m = umask(0); /* there is no way to read the umask without setting it */
  umask(m);
  printf("umask=%04o\n", (unsigned)m);
}

static void cmd_cwd(void) {
  char buf[PATH_MAX];
  if (getcwd(buf, sizeof buf))
    printf("cwd=%s\n", buf);
  else
    printf("cwd: %s\n", strerror(errno));
}

static void cmd_env(void) {
  for (char** e = environ; *e; e++) printf("%s\n", *e);
}

static void cmd_pid(void) { printf("pid=%d ppid=%d\n", (int)getpid(), (int)getppid()); }

static void cmd_oom(void) {
  char buf[64] = "";
  FILE* f = fopen("/proc/self/oom_score_adj", "re");
  if (!f) {
    printf("oom: %s\n", strerror(errno));
    return;
  }
  if (!fgets(buf, sizeof buf, f)) buf[0] = '\0';
  fclose(f);
  buf[strcspn(buf, " \t\n")] = '\0';
  printf("oom_score_adj=%s\n", buf);
}

static int cmp_int(const void* x, const void* y) {
  int a = *(const int*)x, b = *(const int*)y;
  return (a > b) - (a < b);
}

static void cmd_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  if (!d) {
    printf("fds: %s\n", strerror(errno));
    return;
  }
  int *fds = NULL, n = 0, cap = 0;
  struct dirent* de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    int fd = atoi(de->d_name);
    if (fd == dirfd(d)) continue; /* our own directory handle is noise */
    if (n == cap) {
      int* grown = realloc(fds, (size_t)(cap = cap ? cap * 2 : 64) * sizeof *fds);
      if (!grown) break;
      fds = grown;
    }
    fds[n++] = fd;
  }
  closedir(d);
  qsort(fds, (size_t)n, sizeof *fds, cmp_int); /* readdir order is not promised */
  for (int i = 0; i < n; i++) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fds[i]);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len < 0) {
      printf("fd %d: %s\n", fds[i], strerror(errno));
      continue;
    }
    target[len] = '\0';
    printf("fd %d -> %s\n", fds[i], target);
  }
  free(fds);
}

/* Holds the last allocation: the memory stays charged to the container's
 * cgroup for later commands, and the escaping pointer keeps the compiler from
 * dropping the memset as a dead store. */
static void* volatile alloc_keep;

static void cmd_alloc(char** a) {
  unsigned long long mib = num(a[0]);
  /* Earlier output must reach the test even if the OOM killer strikes. */
  fflush(stdout);
  char* p = mib <= SIZE_MAX >> 20 ? malloc((size_t)mib << 20) : NULL;
  if (!p) {
    printf("alloc %s: %s\n", a[0], strerror(ENOMEM));
    return;
  }
  memset(p, 0x5a, (size_t)mib << 20); /* touch every page: malloc alone is lazy */
  alloc_keep = p;
  printf("allocated %llu MiB\n", mib);
}

static void cmd_fork(char** a) {
  unsigned long long n = num(a[0]), k = 0;
  pid_t* kids = calloc(n ? n : 1, sizeof *kids);
  if (!kids) printf("fork failed: %s\n", strerror(ENOMEM));
  for (; kids && k < n; k++) {
    pid_t pid = fork();
    if (pid < 0) {
      printf("fork failed: %s\n", strerror(errno));
      break;
    }
    if (pid == 0) {
      /* Default dispositions: a trap-term handler must not print from here,
       * and SIGALRM must kill us so a leaked child never outlives 30 s. */
      sigset_t alrm;
      sigemptyset(&alrm);
      sigaddset(&alrm, SIGALRM);
      sigprocmask(SIG_UNBLOCK, &alrm, NULL);
      signal(SIGTERM, SIG_DFL);
      signal(SIGALRM, SIG_DFL);
      alarm(30);
      for (;;) pause();
    }
    kids[k] = pid;
  }
  printf("forked %llu of %llu\n", k, n);
  for (unsigned long long i = 0; i < k; i++) kill(kids[i], SIGKILL);
  for (unsigned long long i = 0; i < k; i++)
    while (waitpid(kids[i], NULL, 0) < 0 && errno == EINTR) {
    }
  free(kids);
}

static void cmd_sleep(char** a) {
  double s = strtod(a[0], NULL);
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  /* No SIGTERM handler on purpose: tests check default-action delivery (and
   * that a PID 1 without a handler ignores SIGTERM). */
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
  }
}

static void on_term(int sig) {
  static const char msg[] = "got SIGTERM\n";
  (void)sig;
  /* Only async-signal-safe calls here; stdout is line-buffered, so nothing
   * complete is left in the stdio buffer. */
  ssize_t r = write(STDOUT_FILENO, msg, sizeof msg - 1);
  (void)r;
  _exit(0);
}

static void cmd_trap_term(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_term;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, NULL);
}

static void cmd_write(char** a) {
  int err = 0, fd = open(a[0], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || dprintf(fd, "%s\n", a[1]) < 0) err = errno;
  if (fd >= 0 && close(fd) != 0 && !err) err = errno; /* e.g. ENOSPC reported late */
  printf("write %s: %s\n", a[0], err ? strerror(err) : "ok");
}

static void cmd_read(char** a) { cat_file("read", a[0]); }

/* Answers each UDP datagram to PORT with "echo: " and the datagram, for ever: busybox's
 * nc has no UDP. Prints "udp-echo PORT: ready" once bound. */
static void cmd_udp_echo(char** a) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in self = {.sin_family = AF_INET, .sin_port = htons((uint16_t)num(a[0]))};
  if (fd < 0 || bind(fd, (struct sockaddr*)&self, sizeof self) != 0) {
    printf("udp-echo %s: %s\n", a[0], strerror(errno));
    return;
  }
  printf("udp-echo %s: ready\n", a[0]);
  fflush(stdout);
  for (;;) {
    char in[1024], out[1100];
    struct sockaddr_in peer;
    socklen_t length = sizeof peer;
    ssize_t n = recvfrom(fd, in, sizeof in, 0, (struct sockaddr*)&peer, &length);
    if (n < 0) continue;
    int m = snprintf(out, sizeof out, "echo: %.*s", (int)n, in);
    sendto(fd, out, (size_t)m, 0, (struct sockaddr*)&peer, length);
  }
}

static int not_dots(const struct dirent* de) {
  return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

/* strcmp, not alphasort: sorting must not depend on the locale. */
static int by_name(const struct dirent** x, const struct dirent** y) {
  return strcmp((*x)->d_name, (*y)->d_name);
}

static void cmd_ls(char** a) {
  struct dirent** list;
  int n = scandir(a[0], &list, not_dots, by_name);
  if (n < 0) {
    printf("ls %s: %s\n", a[0], strerror(errno));
    return;
  }
  for (int i = 0; i < n; i++) {
    printf("%s\n", list[i]->d_name);
    free(list[i]);
  }
  free(list);
}

/* clang-format off */
static const char* file_type(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFDIR: return "dir";
    case S_IFREG: return "file";
    case S_IFLNK: return "link";
    case S_IFCHR: return "chr";
    case S_IFBLK: return "blk";
    case S_IFIFO: return "fifo";
    case S_IFSOCK: return "sock";
    default: return "unknown";
  }
}
/* clang-format on */

static void cmd_stat(char** a) {
  struct stat st;
  if (lstat(a[0], &st) != 0) { /* lstat: tests need to see symlinks as links */
    printf("stat %s: %s\n", a[0], strerror(errno));
    return;
  }
  printf("stat %s: mode=%04o uid=%u gid=%u type=%s rdev=%u:%u\n", a[0],
         (unsigned)(st.st_mode & 07777), st.st_uid, st.st_gid, file_type(st.st_mode),
         major(st.st_rdev), minor(st.st_rdev));
}

static void cmd_echo(char** a) { printf("%s\n", a[0]); }

static void cmd_exit(char** a) {
  fflush(stdout);
  exit((int)num(a[0]));
}

static void cmd_kill_self(char** a) {
  fflush(stdout); /* a default-action signal kills us without flushing */
  if (raise((int)num(a[0])) != 0) printf("kill-self %s: %s\n", a[0], strerror(errno));
}

static void cmd_exec(char** a) {
  /* Arguments run up to "--" (or the end); terminate the vector there in place
   * and restore it if execv fails, so any following commands still parse. */
  int n = 0;
  while (a[n] && strcmp(a[n], "--") != 0) n++;
  char* saved = a[n];
  a[n] = NULL;
  fflush(stdout);
  execv(a[0], a);
  printf("exec %s: %s\n", a[0], strerror(errno));
  a[n] = saved;
}

/* Probes for `syscall NAME`. Each passes arguments chosen so that a call seccomp lets
 * through gets an answer other than EPERM from the kernel where it can (ENODEV, EFAULT,
 * EOPNOTSUPP, ...), and none changes anything outside this process. */
static long probe_clone_newns(void) {
  long pid = syscall(SYS_clone, (unsigned long)(CLONE_NEWNS | SIGCHLD), 0L, 0L, 0L, 0L);
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid((pid_t)pid, NULL, 0);
  return pid < 0 ? -1 : 0;
}
static long probe_socket_vsock(void) {
  long fd = syscall(SYS_socket, (long)AF_VSOCK, (long)SOCK_STREAM, 0L);
  if (fd >= 0) close((int)fd);
  return fd < 0 ? -1 : 0;
}
static long probe_getpid(void) { return syscall(SYS_getpid); }
static long probe_mount(void) {
  return syscall(SYS_mount, "none", "/", "quai-no-such-fs", 0UL, NULL);
}
static long probe_unshare_user(void) { return syscall(SYS_unshare, (long)CLONE_NEWUSER); }
static long probe_unshare_mount(void) { return syscall(SYS_unshare, (long)CLONE_NEWNS); }
static long probe_clone3(void) { return syscall(SYS_clone3, NULL, 0L); }
static long probe_keyctl(void) { return syscall(SYS_keyctl, 0x7fffL, 0L, 0L, 0L, 0L); }
static long probe_reboot(void) { return syscall(SYS_reboot, 0L, 0L, 0L, NULL); }
static long probe_settime(void) { return syscall(SYS_clock_settime, (long)CLOCK_REALTIME, NULL); }
static long probe_io_uring(void) { return syscall(SYS_io_uring_setup, 0L, NULL); }
static long probe_no_aslr(void) { return syscall(SYS_personality, (long)ADDR_NO_RANDOMIZE); }

/* clang-format off */
static const struct { const char* name; long (*run)(void); } probes[] = {
    {"getpid", probe_getpid},             {"mount", probe_mount},
    {"unshare-user", probe_unshare_user}, {"unshare-mount", probe_unshare_mount},
    {"clone-newns", probe_clone_newns},   {"clone3", probe_clone3},
    {"keyctl", probe_keyctl},             {"reboot", probe_reboot},
    {"settime", probe_settime},           {"io_uring_setup", probe_io_uring},
    {"socket-vsock", probe_socket_vsock}, {"personality-no-aslr", probe_no_aslr},
};
/* clang-format on */

static int find_probe(const char* name) {
  for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
    if (strcmp(probes[i].name, name) == 0) return (int)i;
  return -1;
}

static void cmd_syscall(char** a) {
  errno = 0;
  long rc = probes[find_probe(a[0])].run(); /* already validated */
  printf("syscall %s: %s\n", a[0], rc < 0 ? strerror(errno) : "ok");
}

/* ---- command table and driver ------------------------------------------- */

enum arg_kind { ARG_NONE, ARG_TEXT, ARG_COUNT, ARG_STATUS, ARG_SECONDS, ARG_PROBE, ARG_VARIADIC };

struct command {
  const char* name;
  int nargs;          /* fixed number of arguments (exec: 1 or more) */
  enum arg_kind kind; /* how to validate the first argument */
  void (*run0)(void); /* for commands without arguments */
  void (*run)(char** args);
};

/* clang-format off */
#define NOARGS(name, fn) {name, 0, ARG_NONE, fn, NULL}
static const struct command commands[] = {
    NOARGS("caps", cmd_caps),       NOARGS("ids", cmd_ids),
    NOARGS("mounts", cmd_mounts),   NOARGS("hostname", cmd_hostname),
    NOARGS("cgroup", cmd_cgroup),   NOARGS("rlimits", cmd_rlimits),
    NOARGS("seccomp", cmd_seccomp), NOARGS("umask", cmd_umask),
    NOARGS("cwd", cmd_cwd),         NOARGS("env", cmd_env),
    NOARGS("pid", cmd_pid),         NOARGS("oom", cmd_oom),
    NOARGS("fds", cmd_fds),         NOARGS("trap-term", cmd_trap_term),
    {"alloc", 1, ARG_COUNT, NULL, cmd_alloc},
    {"fork", 1, ARG_COUNT, NULL, cmd_fork},
    {"sleep", 1, ARG_SECONDS, NULL, cmd_sleep},
    {"write", 2, ARG_TEXT, NULL, cmd_write},
    {"read", 1, ARG_TEXT, NULL, cmd_read},
    {"udp-echo", 1, ARG_COUNT, NULL, cmd_udp_echo},
    {"ls", 1, ARG_TEXT, NULL, cmd_ls},
    {"stat", 1, ARG_TEXT, NULL, cmd_stat},
    {"echo", 1, ARG_TEXT, NULL, cmd_echo},
    {"exit", 1, ARG_STATUS, NULL, cmd_exit},
    {"kill-self", 1, ARG_COUNT, NULL, cmd_kill_self},
    {"exec", 1, ARG_VARIADIC, NULL, cmd_exec},
    {"syscall", 1, ARG_PROBE, NULL, cmd_syscall},
};
/* clang-format on */

static void usage(void) {
  fputs("usage: " PROG " CMD [ARGS] [CMD [ARGS]...]\ncommands:", stderr);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(stderr, " %s", commands[i].name);
  fputs(
      "\nargs: alloc MIB, fork N, sleep SECONDS, write PATH TEXT, read|ls|stat PATH,\n"
      "      echo TEXT, exit N, kill-self SIG, exec PATH [ARGS...] [--], syscall PROBE,\n"
      "      udp-echo PORT\n",
      stderr);
  exit(2);
}

/* Number of argv entries after the command name that belong to it. */
static int arity(const struct command* c, char** args, int avail) {
  int n = 0;
  if (c->kind == ARG_VARIADIC) {
    while (n < avail && strcmp(args[n], "--") != 0) n++;
    if (n == 0) usage_error("'%s' needs a PATH argument", c->name);
    return n < avail ? n + 1 : n; /* the "--" belongs to exec too */
  }
  if (avail < c->nargs)
    usage_error("'%s' needs %d argument%s", c->name, c->nargs, c->nargs == 1 ? "" : "s");
  return c->nargs;
}

static void validate(const struct command* c, const char* arg) {
  unsigned long long v;
  char* end;
  switch (c->kind) {
    case ARG_COUNT:
      if (parse_ull(arg, &v) != 0 || v > INT_MAX)
        usage_error("'%s' needs a non-negative integer, got '%s'", c->name, arg);
      break;
    case ARG_STATUS:
      if (parse_ull(arg, &v) != 0 || v > 255)
        usage_error("'%s' needs a status 0-255, got '%s'", c->name, arg);
      break;
    case ARG_SECONDS: {
      double s = strtod(arg, &end);
      if (end == arg || *end || !(s >= 0 && s <= 1e9)) /* also rejects NaN */
        usage_error("'%s' needs a number of seconds, got '%s'", c->name, arg);
      break;
    }
    case ARG_PROBE:
      if (find_probe(arg) < 0) usage_error("'%s' has no probe named '%s'", c->name, arg);
      break;
    default:
      break;
  }
}

int main(int argc, char** argv) {
  /* Line buffering behaves the same on a tty, a pipe or a file: every line is
   * written as soon as it is complete, so it survives an abrupt death and
   * interleaves predictably with the output of other processes. */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc < 2) usage();

  /* Pass 0 checks the whole command line, pass 1 runs it: a typo in a test
   * then fails cleanly instead of after half the commands had side effects. */
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 1; i < argc;) {
      const struct command* c = NULL;
      for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strcmp(argv[i], commands[k].name) == 0) c = &commands[k];
      if (!c) usage_error("unknown command '%s'", argv[i]);
      int n = arity(c, argv + i + 1, argc - i - 1);
      if (pass == 0 && n > 0)
        validate(c, argv[i + 1]);
      else if (pass == 1 && c->run0)
        c->run0();
      else if (pass == 1)
        c->run(argv + i + 1);
      i += 1 + n;
    }
  }
  return 0;
}
