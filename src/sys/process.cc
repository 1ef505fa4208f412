#include "sys/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <cerrno>

#include "base/strings.h"
#include "sys/fd.h"
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

uint64_t own_start_time() {
  thread_local pid_t read_by = 0;  // per thread: no lock, and one read each
  thread_local uint64_t start = 0;
  if (pid_t self = ::getpid(); self != read_by) {
    start = process_start_time(self).value_or(0);
    read_by = self;
  }
  return start;
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

const std::string& boot_id() {
  static const std::string id = [] {
    auto text = read_file("/proc/sys/kernel/random/boot_id");
    return text ? std::string(trim(*text)) : std::string();
  }();
  return id;
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

Result<std::string> command_output(const std::vector<std::string>& argv) {
  if (argv.empty()) return fail(Errc::InvalidArgument, "command_output: no program");
  int pipe[2];
  if (::pipe2(pipe, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  UniqueFd read_end(pipe[0]), write_end(pipe[1]);
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  ::posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return fail_errno(spawned, "run {}", argv[0]);
  write_end.reset();
  std::string out;
  char buffer[8192];
  ssize_t n;
  while ((n = ::read(read_end.get(), buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  int code = TRY(wait_exit_code(pid));
  if (code != 0) return fail(Errc::Io, "{} failed (exit status {})", argv[0], code);
  return out;
}

Result<std::string> ps_of(const std::vector<pid_t>& pids, const std::vector<std::string>& ps_args) {
  std::vector<std::string> argv = {"ps"};
  if (ps_args.empty()) argv.push_back("-ef");
  argv.insert(argv.end(), ps_args.begin(), ps_args.end());
  std::string table = TRY(command_output(argv));
  auto lines = split(table, '\n');
  if (lines.empty()) return fail(Errc::InvalidArgument, "ps printed nothing");
  auto words = [](const std::string& line) {
    auto fields = split(trim(line), ' ');
    std::erase(fields, "");
    return fields;
  };
  auto header = words(lines[0]);
  auto column = std::ranges::find(header, "PID");
  if (column == header.end())
    return fail(Errc::InvalidArgument, "ps {}: its output has no PID column", join(ps_args, " "));
  size_t index = static_cast<size_t>(column - header.begin());
  std::string out = lines[0] + "\n";
  for (size_t i = 1; i < lines.size(); ++i) {
    auto fields = words(lines[i]);
    if (fields.size() <= index) continue;
    auto pid = parse_int64(fields[index]);
    if (pid && std::ranges::find(pids, static_cast<pid_t>(*pid)) != pids.end())
      out += lines[i] + "\n";
  }
  return out;
}

}  // namespace quai::sys
