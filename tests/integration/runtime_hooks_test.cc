// Hooks run at the points the runtime spec names, with the state on stdin.

#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>

#include "support.h"

namespace quai::test {
namespace {

using RuntimeHooks = RuntimeTest;

// A hook script that appends "<name> <status of the state on stdin>" to a log file.
std::string write_hook(const std::string& dir) {
  std::string path = dir + "/hook.sh";
  std::ofstream(path)
      << "#!/bin/sh\nstate=$(cat)\nstatus=$(printf '%s' \"$state\" | "
         "sed 's/.*\"status\":\"\\([a-z]*\\)\".*/\\1/')\necho \"$1 $status\" >> \"$2\"\n";
  ::chmod(path.c_str(), 0755);
  return path;
}

TEST_F(RuntimeHooks, EveryHookRunsInOrderWithTheStateOnStdin) {
  std::string log = dir_->path() + "/hooks.log";
  std::string hook = write_hook(dir_->path());
  Json c = default_config(shared_rootfs(), {"/bin/quai-testhelper", "echo", "container"});
  for (const char* kind :
       {"prestart", "createRuntime", "createContainer", "poststart", "poststop"}) {
    c["hooks"][kind] = {{{"path", hook}, {"args", {"hook.sh", kind, log}}}};
  }
  // startContainer runs inside the container: its path resolves there.
  std::ofstream(shared_rootfs() + "/tmp/start-hook.sh")
      << "#!/bin/sh\necho startContainer > /tmp/started\n";
  ::chmod((shared_rootfs() + "/tmp/start-hook.sh").c_str(), 0755);
  c["hooks"]["startContainer"] = {{{"path", "/tmp/start-hook.sh"}}};
  auto r = runtime({"run", "--bundle", bundle(c), id()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(log),
            "prestart created\ncreateRuntime created\ncreateContainer created\npoststart running\n"
            "poststop stopped\n");
  EXPECT_EQ(read_text(shared_rootfs() + "/tmp/started"), "startContainer\n");
  ::unlink((shared_rootfs() + "/tmp/started").c_str());
  ::unlink((shared_rootfs() + "/tmp/start-hook.sh").c_str());
}

TEST_F(RuntimeHooks, FailingPrestartHookFailsCreateAndCleansUp) {
  Json c = default_config(shared_rootfs(), {"true"});
  c["hooks"]["prestart"] = {{{"path", "/bin/false"}}};
  auto r = runtime({"create", "--bundle", bundle(c), id()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("hooks.prestart[0] \"/bin/false\": exited with status 1"), std::string::npos)
      << r.err;
  EXPECT_EQ(runtime({"list", "-q"}).out, "");
  EXPECT_FALSE(cgroup_exists("/quai/" + id()));
}

TEST_F(RuntimeHooks, HookThatOverrunsItsTimeoutIsKilled) {
  Json c = default_config(shared_rootfs(), {"true"});
  c["hooks"]["createRuntime"] = {
      {{"path", "/bin/sleep"}, {"args", {"sleep", "30"}}, {"timeout", 1}}};
  auto r = runtime({"create", "--bundle", bundle(c), id()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("hooks.createRuntime[0] \"/bin/sleep\": timed out after 1 s"),
            std::string::npos)
      << r.err;
}

TEST_F(RuntimeHooks, FailingPoststartHookOnlyWarns) {
  Json c = default_config(shared_rootfs(), {"/bin/quai-testhelper", "echo", "still ran"});
  c["hooks"]["poststart"] = {{{"path", "/bin/false"}}};
  auto r = runtime({"run", "--bundle", bundle(c), id()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "still ran\n");
  EXPECT_NE(r.err.find("hooks.poststart[0]"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace quai::test
