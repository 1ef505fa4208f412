// quai as a Docker user drives it: run in the foreground and detached, exit codes, logs,
// stop and rm, flags that repeat, and a store left consistent. Each test gets its own
// --root with a bootstrapped busybox image.

#include <gtest/gtest.h>

#include "quai_env.h"

namespace quai::test {
namespace {

using QuaiCli = QuaiTest;

TEST_F(QuaiCli, RunPrintsTheGreetingAndExitsZero) {
  auto result = quai({"run", "--rm", "busybox", "echo", "hello from quai"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "hello from quai\n");
  EXPECT_EQ(quai({"ps", "-aq"}).out, "") << "--rm left the container";
}

TEST_F(QuaiCli, RunExitsWithTheProcessCodeOr127WhenNotFound) {
  EXPECT_EQ(quai({"run", "--rm", "busybox", "sh", "-c", "exit 3"}).exit_code, 3);
  auto missing = quai({"run", "--rm", "busybox", "nosuchcmd"});
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("nosuchcmd"), std::string::npos) << missing.err;
  // Gone for every reader when run returns; the monitor deletes the files right after.
  EXPECT_EQ(quai({"ps", "-aq"}).out, "") << "--rm is done when run returns";
  EXPECT_TRUE(eventually([&] { return leftovers().empty(); }))
      << ::testing::PrintToString(leftovers());
  EXPECT_EQ(quai({"run", "--rm", "nosuchimage"}).exit_code, 125);
}

TEST_F(QuaiCli, RepeatedFlagsTakeOneValueEach) {
  auto result = quai({"run", "--rm", "-e", "A=1", "-e", "B=2", "-v", "/tmp:/host:ro", "busybox",
                      "sh", "-c", "echo $A$B; ls -d /host"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "12\n/host\n");
}

TEST_F(QuaiCli, DetachedContainerLogsStopsAndIsRemoved) {
  auto started = quai({"run", "-d", "--name", "web", "busybox", "sh", "-c", "echo up; sleep 60"});
  ASSERT_EQ(started.exit_code, 0) << started.err;
  EXPECT_EQ(started.out.size(), 65u) << "a full id and a newline";
  std::string logs;
  for (int i = 0; i < 50 && logs.empty(); ++i) {
    logs = quai({"logs", "web"}).out;
    if (logs.empty()) usleep(20000);
  }
  EXPECT_EQ(logs, "up\n");
  EXPECT_NE(quai({"ps"}).out.find("web"), std::string::npos);

  auto refused = quai({"rm", "web"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("container is running"), std::string::npos) << refused.err;

  EXPECT_EQ(quai({"stop", "-t", "1", "web"}).out, "web\n");
  auto status = quai({"ps", "-a", "--format", "{{.Names}} {{.State}}"});
  EXPECT_EQ(status.out, "web exited\n");
  EXPECT_EQ(quai({"inspect", "-f", "{{.State.ExitCode}}", "web"}).out, "137\n");
  EXPECT_EQ(quai({"rm", "web"}).exit_code, 0);
  EXPECT_EQ(quai({"ps", "-aq"}).out, "");
}

TEST_F(QuaiCli, StoreIsConsistentAfterRunsAndRemovals) {
  quai({"run", "--rm", "busybox", "true"});
  quai({"run", "--name", "kept", "busybox", "true"});
  EXPECT_EQ(quai({"rmi", "busybox"}).exit_code, 1) << "the image is in use";
  auto check = quai({"system", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.out;
  EXPECT_EQ(check.out, "No problems found\n");
}

}  // namespace
}  // namespace quai::test
