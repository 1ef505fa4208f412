#include "podman_env.h"

#include <sys/stat.h>
#include <unistd.h>

namespace quai::test {
namespace {

std::vector<std::string> with_tmpdir(const std::string& tmp, std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"env", "TMPDIR=" + tmp});
  return argv;
}

std::string libpod_parents() { return sh("ls -d /sys/fs/cgroup/*/libpod_parent 2>/dev/null").out; }

}  // namespace

bool PodmanEnv::available(bool with_skopeo) {
  if (!is_root() || run({"podman", "--version"}).exit_code != 0) return false;
  return !with_skopeo || run({"skopeo", "--version"}).exit_code == 0;
}

PodmanEnv::PodmanEnv(const std::string& prefix, PodmanOptions options)
    : dir_(prefix), options_(std::move(options)) {
  // podman's cgroupfs manager makes /libpod_parent (and /libpod_parent/conmon) and never
  // removes them; they go at the end if they were not there before.
  had_libpod_parent_ = !libpod_parents().empty();
  ::mkdir(path("tmp").c_str(), 0700);
  // conmon writes files such as "oom" into its working directory: keep them in ours.
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) != nullptr) old_cwd_ = cwd;
  if (::chdir(dir().c_str()) != 0) ADD_FAILURE() << "chdir " << dir();
}

PodmanEnv::~PodmanEnv() {
  podman({"rm", "--all", "--force", "--time", "0"});
  podman({"rmi", "--all", "--force"});
  podman({"system", "reset", "--force"});
  if (!old_cwd_.empty() && ::chdir(old_cwd_.c_str()) != 0) ADD_FAILURE() << "chdir back failed";
  if (!had_libpod_parent_) {
    sh("rmdir /sys/fs/cgroup/*/libpod_parent/conmon /sys/fs/cgroup/*/libpod_parent 2>/dev/null");
    EXPECT_EQ(libpod_parents(), "") << "cgroups left behind";
  }
}

std::vector<std::string> PodmanEnv::podman_argv() const {
  std::vector<std::string> argv = {
      "podman",   "--root",           path("storage"), "--runroot",      path("run"),
      "--tmpdir", path("tmp"),        "--runtime",     options_.runtime, "--cgroup-manager",
      "cgroupfs", "--events-backend", "file"};
  if (!options_.storage_driver.empty())
    argv.insert(argv.end(), {"--storage-driver", options_.storage_driver});
  return argv;
}

CommandResult PodmanEnv::podman(const std::vector<std::string>& args, int timeout) const {
  auto argv = podman_argv();
  argv.insert(argv.end(), args.begin(), args.end());
  return run(with_tmpdir(path("tmp"), argv), "", timeout);
}

CommandResult PodmanEnv::podman_run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"run",      "--ulimit",          "nofile=20000:20000",
                                   "--ulimit", "nproc=32768:32768", "--network",
                                   "none"};
  argv.insert(argv.end(), args.begin(), args.end());
  return podman(argv);
}

CommandResult PodmanEnv::skopeo(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"skopeo", "--insecure-policy"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(with_tmpdir(path("tmp"), argv), "", 180);
}

std::string PodmanEnv::containers_storage(const std::string& image) const {
  return "containers-storage:[" + options_.storage_driver + "@" + path("storage") + "+" +
         path("run") + "]" + image;
}

std::string PodmanEnv::command_line() const {
  std::string line;
  for (const auto& arg : podman_argv()) line += (line.empty() ? "" : " ") + arg;
  return line;
}

void PodmanEnv::import_busybox(const std::string& image) const {
  make_rootfs(path("rootfs"));
  auto tar = run({"tar", "-C", path("rootfs"), "-cf", path("rootfs.tar"), "."});
  ASSERT_EQ(tar.exit_code, 0) << tar.err;
  auto imported = podman({"import", path("rootfs.tar"), image});
  ASSERT_EQ(imported.exit_code, 0) << imported.both();
}

PodmanEnv* QuaiWithPodmanTest::podman_ = nullptr;

void QuaiWithPodmanTest::start_podman(const std::string& prefix, const std::string& image) {
  if (!PodmanEnv::available(true)) return;
  podman_ = new PodmanEnv(prefix, {"runc", "vfs"});
  podman_->import_busybox(image);
}

void QuaiWithPodmanTest::stop_podman() {
  delete podman_;
  podman_ = nullptr;
}

void QuaiWithPodmanTest::SetUp() {
  if (podman_ == nullptr) GTEST_SKIP() << "needs root, podman and skopeo";
  QuaiTest::SetUp();
}

}  // namespace quai::test
