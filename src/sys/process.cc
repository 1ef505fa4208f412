#include "sys/process.h"

#include <poll.h>
#include <sys/wait.h>

#include <cerrno>

#include "base/strings.h"
#include "sys/file_io.h"
#include "sys/syscalls.h"

namespace quai::sys {
namespace {

// Fields after "(comm)": comm may contain spaces and parentheses, so split after the last ')'.
Result<std::vector<std::string>> stat_fields(pid_t pid) {
  auto text = TRY(read_file("/proc/" + std::to_string(pid) + "/stat"));
  size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 > text.size()) {
    return fail(Errc::Corrupt, "/proc/{}/stat: unexpected format", pid);
  }
  return split(trim(std::string_view(text).substr(close + 2)), ' ');
}

}  // namespace

Result<uint64_t> process_start_time(pid_t pid) {
  auto fields = TRY(stat_fields(pid));
  // Field 22 overall is index 19 after state (field 3).
  if (fields.size() < 20) return fail(Errc::Corrupt, "/proc/{}/stat: too few fields", pid);
  return parse_uint64(fields[19]);
}

bool is_same_process_alive(pid_t pid, uint64_t start_time) {
  if (pid <= 0) return false;
  auto fields = stat_fields(pid);
  if (!fields || fields->size() < 20) return false;
  char state = (*fields)[0].empty() ? 'X' : (*fields)[0][0];
  if (state == 'Z' || state == 'X') return false;
  auto started = parse_uint64((*fields)[19]);
  return started && *started == start_time;
}

int exit_code_from_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

Result<int> wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return fail_errno(errno, "wait for process {}", pid);
  }
  return exit_code_from_status(status);
}

Result<std::optional<int>> wait_exit_code_for(pid_t pid, std::chrono::milliseconds timeout) {
  auto pidfd = TRY(pidfd_open(pid));
  struct pollfd pfd = {pidfd.get(), POLLIN, 0};
  int ready;
  do {
    ready = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  if (ready < 0) return fail_errno(errno, "poll process {}", pid);
  if (ready == 0) return std::optional<int>();
  return std::optional<int>(TRY(wait_exit_code(pid)));
}

}  // namespace quai::sys
