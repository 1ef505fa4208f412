#include "support.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace quai::test {
CommandResult run(const std::vector<std::string>& argv, const std::string& input,
                  int timeout_seconds) {
  CommandResult result;
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC)) return result;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!input.empty()) [[maybe_unused]]
    auto n = ::write(in[1], input.data(), input.size());
  ::close(in[1]);
  // Read both pipes without deadlocking: poll until both reach EOF or the time is up.
  // Read both pipes without deadlocking until both reach EOF, or the command has exited
  // and nothing more is buffered: a detached container keeps the write ends open.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  struct pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {pidfd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_pipes = 2;
  bool exited = false;
  while (open_pipes > 0) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      result.err += "\n[test: command timed out]";
      break;
    }
    int ready = ::poll(fds, exited ? 2 : 3, exited ? 50 : left);
    if (ready <= 0) {
      if (exited) break;
      continue;
    }
    if (!exited && (fds[2].revents & POLLIN)) exited = true;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buffer[4096];
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else {
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  ::close(pidfd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

CommandResult sh(const std::string& command, int timeout_seconds) {
  return run({"/bin/sh", "-c", command}, "", timeout_seconds);
}

TempDir::TempDir(const std::string& prefix) {
  std::string templ = "/tmp/" + prefix + ".XXXXXX";
  char* made = ::mkdtemp(templ.data());
  path_ = made ? made : "";
  // Containers with a user namespace run as unprivileged host ids: they must reach in.
  if (made) ::chmod(made, 0755);
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  unmount_below(path_);
  sh("rm -rf --one-file-system '" + path_ + "'");
}

std::string runtime_binary() { return QUAI_RUNTIME_BIN; }
std::string helper_binary() { return QUAI_TESTHELPER_BIN; }
std::string source_dir() { return QUAI_SOURCE_DIR; }
bool is_root() { return ::geteuid() == 0; }

void make_rootfs(const std::string& dir) {
  auto made = run({source_dir() + "/scripts/busybox-rootfs.sh", dir, helper_binary()});
  if (made.exit_code != 0) ADD_FAILURE() << "busybox-rootfs.sh: " << made.both();
}

const std::string& shared_rootfs() {
  static TempDir* dir = new TempDir("quai-it-rootfs");  // lives for the whole binary
  static std::string rootfs = [] {
    std::string path = dir->path() + "/rootfs";
    make_rootfs(path);
    return path;
  }();
  struct Cleanup {
    ~Cleanup() { delete dir; }
  };
  static Cleanup cleanup;
  return rootfs;
}

Json default_config(const std::string& rootfs, const std::vector<std::string>& args) {
  TempDir scratch("quai-it-spec");
  auto spec = run({runtime_binary(), "spec", "--bundle", scratch.path()});
  EXPECT_EQ(spec.exit_code, 0) << spec.both();
  std::ifstream file(scratch.path() + "/config.json");
  Json config = Json::parse(file);
  config["root"]["path"] = rootfs;
  config["root"]["readonly"] = false;
  config["process"]["terminal"] = false;
  config["process"]["args"] = args;
  return config;
}

void write_config(const std::string& bundle, const Json& config) {
  ::mkdir(bundle.c_str(), 0755);
  std::ofstream(bundle + "/config.json") << config.dump(2);
}

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

std::vector<std::string> mounts_containing(const std::string& text) {
  std::ifstream mountinfo("/proc/self/mountinfo");
  std::vector<std::string> lines;
  for (std::string line; std::getline(mountinfo, line);) {
    if (line.find(text) != std::string::npos) lines.push_back(line);
  }
  return lines;
}

void unmount_below(const std::string& dir) {
  for (int round = 0; round < 5; ++round) {
    std::vector<std::string> targets;
    for (const auto& line : mounts_containing(dir)) {
      std::istringstream fields(line);
      std::string field;
      for (int i = 0; i < 5 && fields >> field; ++i) {
      }
      if (field.rfind(dir, 0) == 0) targets.push_back(field);
    }
    if (targets.empty()) return;
    for (auto it = targets.rbegin(); it != targets.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  }
}

bool cgroup_exists(const std::string& path_below_hierarchy) {
  for (const char* hierarchy : {"/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids",
                                "/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    struct stat st;
    std::string dir = std::string(hierarchy) + path_below_hierarchy;
    if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return true;
  }
  return false;
}

void RuntimeTest::SetUp() {
  if (!is_root()) GTEST_SKIP() << "integration tests run containers and need root";
  dir_ = std::make_unique<TempDir>();
  root_ = dir_->path() + "/state";
  (void)shared_rootfs();
}

void RuntimeTest::TearDown() {
  if (!dir_) return;
  auto listed = runtime({"list", "-q"});
  std::istringstream ids(listed.out);
  for (std::string id; std::getline(ids, id);) {
    if (!id.empty()) runtime({"delete", "--force", id});
  }
  // A test may have failed half way: its containers must not outlive it.
  EXPECT_EQ(runtime({"list", "-q"}).out, "") << "containers left behind";
  dir_.reset();
}

CommandResult RuntimeTest::runtime(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {runtime_binary(), "--root", root_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, input);
}

std::string RuntimeTest::bundle(const Json& config) {
  std::string path = dir_->path() + "/bundle" + std::to_string(++bundles_);
  write_config(path, config);
  return path;
}

std::string RuntimeTest::id(const std::string& suffix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string("quai-it-") + info->name() + suffix;
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  }
  return name;
}

}  // namespace quai::test
