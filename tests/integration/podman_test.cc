// podman drives quai-runtime: the acceptance walk of issue 2, point 1. podman keeps its
// images and containers in this test's temp dir (--root/--runroot) and uses no network.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "podman_env.h"

namespace quai::test {
namespace {

class Podman : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PodmanEnv::available()) return;
    env_ = new PodmanEnv("quai-it-podman", {runtime_binary(), ""});
    env_->import_busybox(kImage);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    if (env_ == nullptr) GTEST_SKIP() << "needs root and podman";
  }

  static CommandResult podman(const std::vector<std::string>& args, int timeout = 120) {
    return env_->podman(args, timeout);
  }
  static CommandResult podman_run(const std::vector<std::string>& args) {
    return env_->podman_run(args);
  }
  static std::string podman_command_line() { return env_->command_line(); }
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
  }

  static constexpr const char* kImage = "localhost/quai-it-busybox:latest";
  static inline PodmanEnv* env_ = nullptr;
};

TEST_F(Podman, RunRmEchoHi) {
  auto r = podman_run({"--rm", kImage, "echo", "hi"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "hi\n");
}

TEST_F(Podman, ExitCodeOfTheContainer) {
  auto r = podman_run({"--rm", kImage, "sh", "-c", "exit 42"});
  EXPECT_EQ(r.exit_code, 42) << r.err;
}

// The sleep: podman 4.3 with conmon loses the output of an -it container that exits
// before podman has attached (runc: 2 runs in 10, quai: 6 in 10, as quai starts sooner).
TEST_F(Podman, InteractiveTerminalThroughTheConsoleSocket) {
  std::string command =
      podman_command_line() +
      " run -it --rm --ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --network none " +
      kImage + " sh -c 'sleep 0.5; tty; echo interactive-ok; exit 5'";
  auto r = run({"script", "-qec", command, "/dev/null"}, "", 60);
  EXPECT_EQ(r.exit_code, 5) << r.both();
  EXPECT_TRUE(contains(r.out, "/dev/pts/0")) << r.out;
  EXPECT_TRUE(contains(r.out, "interactive-ok")) << r.out;
}

TEST_F(Podman, ExecWithATerminal) {
  ASSERT_EQ(podman_run({"-d", "--name", "quai-it-exec-tty", kImage, "sleep", "100"}).exit_code, 0);
  std::string command =
      podman_command_line() + " exec -it quai-it-exec-tty sh -c 'tty; echo exec-ok; exit 4'";
  auto r = run({"script", "-qec", command, "/dev/null"}, "", 60);
  EXPECT_EQ(r.exit_code, 4) << r.both();
  EXPECT_TRUE(contains(r.out, "/dev/pts/")) << r.out;
  EXPECT_TRUE(contains(r.out, "exec-ok")) << r.out;
  EXPECT_EQ(podman({"rm", "--force", "--time", "0", "quai-it-exec-tty"}).exit_code, 0);
}

TEST_F(Podman, DetachedExecAndStopWithSigtermThenSigkill) {
  auto started = podman_run({"-d", "--name", "quai-it-stop", kImage, "/bin/quai-testhelper",
                             "trap-term", "sleep", "100"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  auto exec =
      podman({"exec", "quai-it-stop", "/bin/quai-testhelper", "echo", "from-exec", "exit", "3"});
  EXPECT_EQ(exec.exit_code, 3) << exec.err;
  EXPECT_EQ(exec.out, "from-exec\n");
  ASSERT_EQ(podman({"stop", "--time", "5", "quai-it-stop"}).exit_code, 0);
  EXPECT_TRUE(contains(podman({"logs", "quai-it-stop"}).out, "got SIGTERM"));
  EXPECT_EQ(trim(podman({"inspect", "--format", "{{.State.ExitCode}}", "quai-it-stop"}).out), "0");
  podman({"rm", "quai-it-stop"});

  // A pid 1 without a SIGTERM handler ignores it: stop must fall back to SIGKILL after --time.
  ASSERT_EQ(podman_run({"-d", "--name", "quai-it-kill", kImage, "sleep", "100"}).exit_code, 0);
  auto begin = std::chrono::steady_clock::now();
  ASSERT_EQ(podman({"stop", "--time", "1", "quai-it-kill"}).exit_code, 0);
  auto took = std::chrono::steady_clock::now() - begin;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_EQ(trim(podman({"inspect", "--format", "{{.State.ExitCode}}", "quai-it-kill"}).out),
            "137");
  podman({"rm", "quai-it-kill"});
}

TEST_F(Podman, MemoryLimitOomKillsWith137) {
  auto r = podman_run({"--rm", "--memory", "32m", kImage, "/bin/quai-testhelper", "echo", "before",
                       "alloc", "100"});
  EXPECT_EQ(r.exit_code, 137) << r.both();
  EXPECT_TRUE(contains(r.out, "before"));
  EXPECT_FALSE(contains(r.out, "allocated"));
}

TEST_F(Podman, PidsLimitContainsAForkBomb) {
  auto r =
      podman_run({"--rm", "--pids-limit", "20", kImage, "/bin/quai-testhelper", "fork", "100"});
  EXPECT_EQ(r.exit_code, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "fork failed: Resource temporarily unavailable")) << r.out;
  EXPECT_FALSE(contains(r.out, "forked 100 of 100")) << r.out;
}

TEST_F(Podman, ReadOnlyRoot) {
  auto r = podman_run({"--rm", "--read-only", kImage, "/bin/quai-testhelper", "write", "/x", "no"});
  EXPECT_EQ(r.exit_code, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "write /x: Read-only file system")) << r.out;
}

TEST_F(Podman, CapDropAllLeavesNoEffectiveCapabilities) {
  auto r = podman_run({"--rm", "--cap-drop", "ALL", kImage, "/bin/quai-testhelper", "caps"});
  EXPECT_EQ(r.exit_code, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "CapEff: 0000000000000000")) << r.out;
  auto defaults = podman_run({"--rm", kImage, "/bin/quai-testhelper", "caps"});
  EXPECT_FALSE(contains(defaults.out, "CapEff: 0000000000000000"))
      << "the default set is not empty";
}

TEST_F(Podman, UserAndGroup) {
  auto r = podman_run({"--rm", "--user", "1000:1000", kImage, "/bin/quai-testhelper", "ids"});
  EXPECT_EQ(r.exit_code, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "uid=1000/1000/1000 gid=1000/1000/1000")) << r.out;
}

TEST_F(Podman, VolumeAndTmpfs) {
  std::string host = env_->path("hostdir");
  ::mkdir(host.c_str(), 0755);
  std::ofstream(host + "/in") << "from-host\n";
  auto r = podman_run({"--rm", "-v", host + ":/data", "--tmpfs", "/t", kImage,
                       "/bin/quai-testhelper", "read", "/data/in", "write", "/data/out",
                       "from-container", "write", "/t/x", "y", "mounts"});
  EXPECT_EQ(r.exit_code, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "from-host")) << r.out;
  EXPECT_TRUE(contains(r.out, "write /t/x: ok")) << r.out;
  EXPECT_TRUE(contains(r.out, " /t rw,")) << r.out;
  std::ifstream out(host + "/out");
  std::string line;
  std::getline(out, line);
  EXPECT_EQ(line, "from-container");
}

TEST_F(Podman, Hostname) {
  auto r = podman_run({"--rm", "--hostname", "h", kImage, "/bin/quai-testhelper", "hostname"});
  EXPECT_EQ(r.exit_code, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "hostname=h\n")) << r.out;
}

TEST_F(Podman, NetworkNoneHasOnlyLoopback) {
  auto r = podman_run({"--rm", kImage, "/bin/quai-testhelper", "ls", "/sys/class/net"});
  EXPECT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(r.out, "lo\n");
}

TEST_F(Podman, PauseAndUnpause) {
  ASSERT_EQ(podman_run({"-d", "--name", "quai-it-pause", kImage, "sleep", "100"}).exit_code, 0);
  ASSERT_EQ(podman({"pause", "quai-it-pause"}).exit_code, 0);
  EXPECT_EQ(trim(podman({"inspect", "--format", "{{.State.Status}}", "quai-it-pause"}).out),
            "paused");
  ASSERT_EQ(podman({"unpause", "quai-it-pause"}).exit_code, 0);
  EXPECT_EQ(trim(podman({"inspect", "--format", "{{.State.Status}}", "quai-it-pause"}).out),
            "running");
  EXPECT_EQ(podman({"rm", "--force", "--time", "0", "quai-it-pause"}).exit_code, 0);
}

}  // namespace
}  // namespace quai::test
