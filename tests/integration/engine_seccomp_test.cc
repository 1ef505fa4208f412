// The engine's security defaults in real containers: what the default seccomp profile and
// capability set let busybox and the test helper do, and what they refuse.

#include <unistd.h>

#include "engine/security_defaults.h"
#include "support.h"

namespace quai::test {
namespace {

class EngineSeccomp : public RuntimeTest {
 protected:
  /// A container holding `caps` whose profile was made for `profile_caps` (null: no filter),
  /// with the default masked and read-only paths.
  Json config(const std::vector<std::string>& caps, const std::vector<std::string>* profile_caps,
              const std::vector<std::string>& args) {
    Json c = default_config(shared_rootfs(), args);
    c["process"]["capabilities"] = {{"bounding", caps}, {"effective", caps}, {"permitted", caps}};
    if (profile_caps) c["linux"]["seccomp"] = engine::default_seccomp_profile(*profile_caps);
    c["linux"]["maskedPaths"] = engine::default_masked_paths();
    c["linux"]["readonlyPaths"] = engine::default_readonly_paths();
    return c;
  }
  CommandResult run_container(const Json& c) {
    return runtime({"run", "--bundle", bundle(c), id(std::to_string(++runs_))});
  }
  /// The helper's `syscall` probes, one line each, under the given capabilities.
  CommandResult probe(const std::vector<std::string>& caps,
                      const std::vector<std::string>* profile_caps,
                      const std::vector<std::string>& probes) {
    std::vector<std::string> args = {"/bin/quai-testhelper"};
    for (const auto& name : probes) args.insert(args.end(), {"syscall", name});
    return run_container(config(caps, profile_caps, args));
  }

  const std::vector<std::string> defaults_ = engine::default_capabilities();
  int runs_ = 0;
};

std::vector<std::string> plus(std::vector<std::string> caps, const std::vector<std::string>& more) {
  caps.insert(caps.end(), more.begin(), more.end());
  return caps;
}

TEST_F(EngineSeccomp, CommonProgramsRunUnderTheDefaults) {
  const char* script =
      "set -e; ls / >/dev/null; echo \"sub $(echo shell)\"; (true) & wait;"
      "mkdir -p /tmp/w/d; cd /tmp/w; dd if=/dev/zero of=f bs=1k count=8 2>/dev/null;"
      "ln -s f l; chmod 600 f; chown 65534:65534 f; mv f g; tar cf t.tar g l; gzip t.tar;"
      "gunzip -c t.tar.gz | tar tf - | sort | tr '\\n' ' '; echo; rm -r /tmp/w;"
      "find /etc -name hosts; sort /etc/passwd | head -n 1; date >/dev/null; ps >/dev/null;"
      "sleep 0.01; /bin/quai-testhelper fork 3 seccomp";
  auto r = run_container(config(defaults_, &defaults_, {"/bin/sh", "-c", script}));
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_TRUE(contains(r.out, "sub shell\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "g l \n")) << r.out;
  EXPECT_TRUE(contains(r.out, "/etc/hosts\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "forked 3 of 3\n")) << r.out;
  EXPECT_TRUE(contains(r.out, "seccomp=2\n")) << r.out;
}

// Without a filter the probes reach the kernel, which answers with something else than
// EPERM: the EPERMs in the tests below come from the filter.
TEST_F(EngineSeccomp, WithoutAProfileTheProbesReachTheKernel) {
  auto caps = plus(defaults_, {"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_TIME"});
  auto r = probe(caps, nullptr, {"mount", "keyctl", "reboot", "settime", "clone3"});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(r.out,
            "syscall mount: No such device\n"
            "syscall keyctl: Operation not supported\n"
            "syscall reboot: Invalid argument\n"
            "syscall settime: Bad address\n"
            "syscall clone3: Invalid argument\n");
}

TEST_F(EngineSeccomp, DefaultsRefuseNamespacesMountsKeyringsAndReboot) {
  auto r =
      probe(defaults_, &defaults_,
            {"getpid", "mount", "clone-newns", "unshare-mount", "keyctl", "reboot", "settime",
             "io_uring_setup", "socket-vsock", "personality-no-aslr", "clone3", "unshare-user"});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(r.out,
            "syscall getpid: ok\n"
            "syscall mount: Operation not permitted\n"
            "syscall clone-newns: Operation not permitted\n"
            "syscall unshare-mount: Operation not permitted\n"
            "syscall keyctl: Operation not permitted\n"
            "syscall reboot: Operation not permitted\n"
            "syscall settime: Operation not permitted\n"
            "syscall io_uring_setup: Operation not permitted\n"
            "syscall socket-vsock: Operation not permitted\n"
            "syscall personality-no-aslr: Operation not permitted\n"
            "syscall clone3: Function not implemented\n"
            "syscall unshare-user: Operation not permitted\n");
  for (const char* flag : {"-U", "-m"}) {
    auto u = run_container(config(defaults_, &defaults_, {"unshare", flag, "true"}));
    EXPECT_NE(u.exit_code, 0) << flag;
    EXPECT_TRUE(contains(u.err, "Operation not permitted")) << flag << ": " << u.both();
  }
}

// The profile follows the capabilities it was made for, not the ones the process holds.
TEST_F(EngineSeccomp, FilterRefusesEvenWhenTheCapabilityIsHeld) {
  auto caps = plus(defaults_, {"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_TIME"});
  auto r = probe(caps, &defaults_, {"mount", "reboot", "settime", "unshare-mount"});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(r.out,
            "syscall mount: Operation not permitted\n"
            "syscall reboot: Operation not permitted\n"
            "syscall settime: Operation not permitted\n"
            "syscall unshare-mount: Operation not permitted\n");
}

TEST_F(EngineSeccomp, CapSysAdminAllowsMountNamespacesAndClone3) {
  auto caps = plus(defaults_, {"CAP_SYS_ADMIN"});
  auto r = probe(caps, &caps, {"mount", "clone3", "clone-newns", "keyctl", "unshare-mount"});
  ASSERT_EQ(r.exit_code, 0) << r.both();
  EXPECT_EQ(r.out,
            "syscall mount: No such device\n"
            "syscall clone3: Invalid argument\n"
            "syscall clone-newns: ok\n"
            "syscall keyctl: Operation not permitted\n"
            "syscall unshare-mount: ok\n");
  auto u = run_container(config(caps, &caps, {"unshare", "-m", "echo", "inside"}));
  EXPECT_EQ(u.exit_code, 0) << u.both();
  EXPECT_EQ(u.out, "inside\n");
}

// Masked files read as empty; which of them exist depends on the kernel's configuration.
TEST_F(EngineSeccomp, MaskedAndReadOnlyPathsHold) {
  std::string script, expected;
  for (const auto& path : engine::default_masked_paths()) {
    if (::access(path.c_str(), F_OK) != 0 || !path.starts_with("/proc/")) continue;
    script += "echo " + path + " $(cat " + path + " | wc -c);";
    expected += path + " 0\n";
  }
  script += "ls /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/core_uses_pid || echo refused";
  auto r = run_container(config(defaults_, &defaults_, {"/bin/sh", "-c", script}));
  EXPECT_EQ(r.out, expected + "0\nrefused\n") << r.both();
  EXPECT_TRUE(contains(r.err, "Read-only file system")) << r.err;
}

}  // namespace
}  // namespace quai::test
