// quai-runtime's command line driven as podman and containerd drive it.

#include <fstream>

#include "support.h"

namespace quai::test {
namespace {

using RuntimeLifecycle = RuntimeTest;

std::vector<std::string> helper(std::vector<std::string> args) {
  args.insert(args.begin(), "/bin/quai-testhelper");
  return args;
}

// Gone, or a zombie waiting for its parent: either way it runs no more.
bool is_dead(int pid) {
  for (int i = 0; i < 100; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    size_t close = text.rfind(')');
    if (text.empty() || (close != std::string::npos && text[close + 2] == 'Z')) return true;
    ::usleep(20000);
  }
  return false;
}

TEST_F(RuntimeLifecycle, RunPrintsOutputAndReturnsTheContainersExitCode) {
  auto b = bundle(default_config(shared_rootfs(), helper({"echo", "hello", "exit", "42"})));
  auto result = runtime({"run", "--bundle", b, id()});
  EXPECT_EQ(result.exit_code, 42) << result.err;
  EXPECT_EQ(result.out, "hello\n");
  EXPECT_EQ(runtime({"list", "-q"}).out, "") << "run removes the container when it exits";
  EXPECT_FALSE(cgroup_exists("/quai/" + id()));
}

TEST_F(RuntimeLifecycle, CreateStartKillDeleteWalkThroughTheStates) {
  auto b = bundle(default_config(shared_rootfs(), {"sleep", "100"}));
  std::string pid_file = dir_->path() + "/pid";
  ASSERT_EQ(runtime({"create", "--bundle", b, "--pid-file", pid_file, id()}).exit_code, 0);
  auto state = Json::parse(runtime({"state", id()}).out);
  EXPECT_EQ(state["status"], "created");
  EXPECT_EQ(state["id"], id());
  EXPECT_EQ(state["bundle"], b);
  std::ifstream pid_in(pid_file);
  int pid = 0;
  pid_in >> pid;
  EXPECT_EQ(state["pid"], pid);
  EXPECT_TRUE(cgroup_exists("/quai/" + id()));

  ASSERT_EQ(runtime({"start", id()}).exit_code, 0);
  EXPECT_EQ(Json::parse(runtime({"state", id()}).out)["status"], "running");
  auto again = runtime({"start", id()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("cannot start container \"" + id() + "\": it is running"),
            std::string::npos)
      << again.err;

  auto refused = runtime({"delete", id()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("that is not stopped: it is running"), std::string::npos)
      << refused.err;

  ASSERT_EQ(runtime({"kill", id(), "KILL"}).exit_code, 0);
  for (int i = 0; i < 100 && Json::parse(runtime({"state", id()}).out)["status"] != "stopped"; ++i)
    ::usleep(20000);
  EXPECT_EQ(Json::parse(runtime({"state", id()}).out)["status"], "stopped");
  auto kill_stopped = runtime({"kill", id(), "TERM"});
  EXPECT_EQ(kill_stopped.exit_code, 1);

  ASSERT_EQ(runtime({"delete", id()}).exit_code, 0);
  auto gone = runtime({"state", id()});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("container \"" + id() + "\" does not exist"), std::string::npos)
      << gone.err;
  EXPECT_FALSE(cgroup_exists("/quai/" + id()));
}

TEST_F(RuntimeLifecycle, DuplicateIdIsRefused) {
  auto b = bundle(default_config(shared_rootfs(), {"sleep", "100"}));
  ASSERT_EQ(runtime({"create", "--bundle", b, id()}).exit_code, 0);
  auto dup = runtime({"create", "--bundle", b, id()});
  EXPECT_EQ(dup.exit_code, 1);
  EXPECT_NE(dup.err.find("container \"" + id() + "\" already exists"), std::string::npos)
      << dup.err;
  EXPECT_EQ(Json::parse(runtime({"state", id()}).out)["status"], "created")
      << "the first one is untouched";
}

TEST_F(RuntimeLifecycle, ExecJoinsTheContainerAndReturnsItsExitCode) {
  Json config = default_config(shared_rootfs(), {"sleep", "100"});
  config["hostname"] = "exec-host";
  auto b = bundle(config);
  ASSERT_EQ(runtime({"run", "--detach", "--bundle", b, id()}).exit_code, 0);
  auto result = runtime({"exec", id(), "/bin/quai-testhelper", "pid", "hostname", "exit", "7"});
  EXPECT_EQ(result.exit_code, 7) << result.err;
  EXPECT_NE(result.out.find("pid=2 ppid=0"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("hostname=exec-host"), std::string::npos);

  auto missing = runtime({"exec", id(), "no-such-program"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("executable file `no-such-program` not found in $PATH"),
            std::string::npos)
      << missing.err;

  std::string pid_file = dir_->path() + "/exec.pid";
  Json process = config["process"];
  process["args"] = helper({"sleep", "0.2"});
  std::string process_file = dir_->path() + "/process.json";
  std::ofstream(process_file) << process.dump();
  auto detached =
      runtime({"exec", "--detach", "--pid-file", pid_file, "--process", process_file, id()});
  EXPECT_EQ(detached.exit_code, 0) << detached.err;
  EXPECT_TRUE(std::ifstream(pid_file).good());
}

TEST_F(RuntimeLifecycle, KillAllReachesEveryProcessAndDeleteForceCleansUp) {
  auto b = bundle(default_config(shared_rootfs(), {"sh", "-c", "sleep 100 & sleep 100 & wait"}));
  ASSERT_EQ(runtime({"run", "--detach", "--bundle", b, id()}).exit_code, 0);
  for (int i = 0; i < 100; ++i) {
    if (Json::parse(runtime({"ps", "--format", "json", id()}).out).size() == 3) break;
    ::usleep(20000);
  }
  auto pids = Json::parse(runtime({"ps", "--format", "json", id()}).out);
  ASSERT_EQ(pids.size(), 3u) << pids.dump();
  ASSERT_EQ(runtime({"kill", "--all", id(), "KILL"}).exit_code, 0);
  for (int i = 0; i < 100 && Json::parse(runtime({"state", id()}).out)["status"] != "stopped"; ++i)
    ::usleep(20000);
  for (const auto& pid : pids) {
    EXPECT_TRUE(is_dead(pid.get<int>())) << "process " << pid << " survived kill --all";
  }
  ASSERT_EQ(runtime({"delete", "--force", id()}).exit_code, 0);
  EXPECT_FALSE(cgroup_exists("/quai/" + id()));
}

TEST_F(RuntimeLifecycle, PauseFreezesAndResumeThaws) {
  auto b = bundle(default_config(shared_rootfs(), {"sleep", "100"}));
  ASSERT_EQ(runtime({"run", "--detach", "--bundle", b, id()}).exit_code, 0);
  ASSERT_EQ(runtime({"pause", id()}).exit_code, 0);
  EXPECT_EQ(Json::parse(runtime({"state", id()}).out)["status"], "paused");
  ASSERT_EQ(runtime({"resume", id()}).exit_code, 0);
  EXPECT_EQ(Json::parse(runtime({"state", id()}).out)["status"], "running");
  EXPECT_EQ(runtime({"resume", id()}).exit_code, 1) << "resuming a running container is an error";
}

TEST_F(RuntimeLifecycle, UpdateChangesLimitsOfARunningContainer) {
  auto b = bundle(default_config(shared_rootfs(), {"sleep", "100"}));
  ASSERT_EQ(runtime({"run", "--detach", "--bundle", b, id()}).exit_code, 0);
  auto updated = runtime({"update", "--resources", "-", id()}, R"({"pids": {"limit": 33}})");
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  auto limit = sh("cat /sys/fs/cgroup/pids/quai/" + id() + "/pids.max");
  EXPECT_EQ(limit.out, "33\n");
  ASSERT_EQ(runtime({"update", "--pids-limit", "44", id()}).exit_code, 0);
  EXPECT_EQ(sh("cat /sys/fs/cgroup/pids/quai/" + id() + "/pids.max").out, "44\n");
}

TEST_F(RuntimeLifecycle, ListShowsContainersInTableAndJson) {
  auto b = bundle(default_config(shared_rootfs(), {"sleep", "100"}));
  ASSERT_EQ(runtime({"create", "--bundle", b, id()}).exit_code, 0);
  auto table = runtime({"list"});
  EXPECT_EQ(table.out.rfind("ID ", 0), 0u) << table.out;
  EXPECT_NE(table.out.find(id()), std::string::npos);
  EXPECT_NE(table.out.find("created"), std::string::npos);
  auto json = Json::parse(runtime({"list", "--format", "json"}).out);
  ASSERT_EQ(json.size(), 1u);
  EXPECT_EQ(json[0]["id"], id());
}

TEST_F(RuntimeLifecycle, SpecFeaturesAndVersion) {
  auto version = run({runtime_binary(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("quai-runtime version ", 0), 0u);
  auto features = Json::parse(run({runtime_binary(), "features"}).out);
  EXPECT_EQ(features["ociVersionMax"], "1.3.0");
  EXPECT_TRUE(features["linux"]["seccomp"]["enabled"].get<bool>());
  auto twice = run({runtime_binary(), "spec", "--bundle", dir_->path()});
  ASSERT_EQ(twice.exit_code, 0);
  auto refused = run({runtime_binary(), "spec", "--bundle", dir_->path()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("already exists"), std::string::npos);
}

}  // namespace
}  // namespace quai::test
