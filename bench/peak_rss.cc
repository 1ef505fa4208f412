// peak_rss COMMAND [ARG...]: runs COMMAND as a child subreaper and prints the peak RSS
// (ru_maxrss) of every process of its tree as it is reaped, one line each on stderr:
//   peak_rss: cli pid=123 comm=quai maxrss_kib=8120
//   peak_rss: descendant pid=125 comm=quai maxrss_kib=7904
// "cli" is COMMAND itself; "descendant" a process that outlived its parent and was
// reparented here (quai's per-container monitor). A process's ru_maxrss covers the
// children it reaped itself (the monitor's includes the container's init). Exits with
// COMMAND's status once every descendant is gone.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

std::string comm_of(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/comm", pid);
  std::FILE* file = std::fopen(path, "r");
  if (file == nullptr) return "?";
  char name[64] = "?";
  if (std::fgets(name, sizeof name, file) != nullptr) name[std::strcspn(name, "\n")] = '\0';
  std::fclose(file);
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: peak_rss COMMAND [ARG...]\n");
    return 2;
  }
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::fprintf(stderr, "peak_rss: prctl: %s\n", std::strerror(errno));
    return 2;
  }
  pid_t child = ::fork();
  if (child < 0) return 2;
  if (child == 0) {
    ::execvp(argv[1], argv + 1);
    std::fprintf(stderr, "peak_rss: exec %s: %s\n", argv[1], std::strerror(errno));
    ::_exit(127);
  }
  int exit_status = 0;
  while (true) {
    // Peek first (WNOWAIT): the zombie's name is readable until it is reaped.
    siginfo_t info{};
    if (::waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) != 0) {
      if (errno == EINTR) continue;
      break;  // ECHILD: the whole tree is gone
    }
    pid_t pid = info.si_pid;
    std::string comm = comm_of(pid);
    int status = 0;
    struct rusage usage {};
    if (::wait4(pid, &status, 0, &usage) != pid) continue;
    std::fprintf(stderr, "peak_rss: %s pid=%d comm=%s maxrss_kib=%ld\n",
                 pid == child ? "cli" : "descendant", pid, comm.c_str(), usage.ru_maxrss);
    if (pid == child) exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  }
  return exit_status;
}
