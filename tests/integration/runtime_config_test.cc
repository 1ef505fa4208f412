// What a container looks like from inside, for each part of config.json, as reported by
// quai-testhelper running in it.

#include <sys/resource.h>
#include <sys/stat.h>

#include <fstream>

#include "support.h"

namespace quai::test {
namespace {

class RuntimeConfig : public RuntimeTest {
 protected:
  /// Runs the helper with `args` in a container made from `config` (args replaced).
  CommandResult run_helper(Json config, std::vector<std::string> args) {
    args.insert(args.begin(), "/bin/quai-testhelper");
    config["process"]["args"] = args;
    return runtime({"run", "--bundle", bundle(config), id()});
  }
  Json config() { return default_config(shared_rootfs(), {"true"}); }
};

TEST_F(RuntimeConfig, CapabilitiesAreExactlyTheConfiguredSets) {
  Json c = config();
  c["process"]["capabilities"] = {{"bounding", {"CAP_KILL", "CAP_CHOWN"}},
                                  {"effective", {"CAP_KILL"}},
                                  {"permitted", {"CAP_KILL"}},
                                  {"inheritable", Json::array()},
                                  {"ambient", Json::array()}};
  auto r = run_helper(c, {"caps"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "CapEff: 0000000000000020")) << r.out;
  EXPECT_TRUE(contains(r.out, "CapBnd: 0000000000000021")) << r.out;
  EXPECT_TRUE(contains(r.out, "CapInh: 0000000000000000")) << r.out;
}

TEST_F(RuntimeConfig, UnknownCapabilityIsAnErrorNamingIt) {
  Json c = config();
  c["process"]["capabilities"]["bounding"] = {"CAP_MAKE_COFFEE"};
  auto r = run_helper(c, {"caps"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(
      contains(r.err, "process.capabilities.bounding: unknown capability \"CAP_MAKE_COFFEE\""))
      << r.err;
}

TEST_F(RuntimeConfig, UserGroupsAndUmask) {
  Json c = config();
  c["process"]["user"] = {{"uid", 1000}, {"gid", 1001}, {"additionalGids", {5, 6}}, {"umask", 63}};
  auto r = run_helper(c, {"ids", "umask"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "uid=1000/1000/1000 gid=1001/1001/1001 groups=5,6")) << r.out;
  EXPECT_TRUE(contains(r.out, "umask=0077")) << r.out;
}

TEST_F(RuntimeConfig, RlimitsAreApplied) {
  Json c = config();
  c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 300}, {"hard", 400}},
                             {{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 0}}};
  auto r = run_helper(c, {"rlimits"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "rlimit NOFILE soft=300 hard=400")) << r.out;
  EXPECT_TRUE(contains(r.out, "rlimit CORE soft=0 hard=0")) << r.out;
}

TEST_F(RuntimeConfig, RlimitAboveTheCallersHardLimitIsAnErrorAndLeavesNothing) {
  Json c = config();
  c["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 1048576}, {"hard", 1048576}}};
  auto r = run_helper(c, {"rlimits"});
  struct rlimit current;
  ::getrlimit(RLIMIT_NOFILE, &current);
  if (current.rlim_max >= 1048576)
    GTEST_SKIP() << "this machine's hard NOFILE limit is not below 1048576";
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(contains(
      r.err, "process.rlimits: RLIMIT_NOFILE: hard limit 1048576 is above the caller's hard limit"))
      << r.err;
  EXPECT_EQ(runtime({"list", "-q"}).out, "");
  EXPECT_FALSE(cgroup_exists("/quai/" + id()));
}

TEST_F(RuntimeConfig, SeccompErrnoRuleAndNoNewPrivileges) {
  Json c = config();
  c["process"]["noNewPrivileges"] = true;
  c["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64"}},
      {"syscalls", {{{"names", {"getcwd"}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", 1}}}}};
  auto r = run_helper(c, {"seccomp", "cwd"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "seccomp=2")) << r.out;
  EXPECT_TRUE(contains(r.out, "nonewprivs=1")) << r.out;
  EXPECT_TRUE(contains(r.out, "cwd: Operation not permitted")) << r.out;
}

TEST_F(RuntimeConfig, HostnameAndDomainname) {
  Json c = config();
  c["hostname"] = "box";
  c["domainname"] = "example.test";
  auto r = run_helper(c, {"hostname"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "hostname=box\ndomainname=example.test")) << r.out;
}

TEST_F(RuntimeConfig, MaskedAndReadonlyPaths) {
  auto r = run_helper(config(), {"read", "/proc/keys", "echo", "", "write",
                                 "/proc/sys/kernel/hostname", "x", "ls", "/sys/firmware"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(contains(r.out, "read /proc/keys:")) << "masked: reads as an empty /dev/null\n"
                                                    << r.out;
  EXPECT_EQ(r.out.rfind("\n", 0), 0u) << "nothing read from the masked file: " << r.out;
  EXPECT_TRUE(contains(r.out, "write /proc/sys/kernel/hostname: Read-only file system")) << r.out;
  EXPECT_FALSE(contains(r.out, "ls /sys/firmware:")) << r.out;
}

TEST_F(RuntimeConfig, ReadonlyRootAndWritableTmpfs) {
  Json c = config();
  c["root"]["readonly"] = true;
  c["mounts"].push_back({{"destination", "/scratch"},
                         {"type", "tmpfs"},
                         {"source", "tmpfs"},
                         {"options", {"size=1m", "mode=700", "nosuid"}}});
  auto r = run_helper(
      c, {"write", "/x", "no", "write", "/scratch/x", "yes", "stat", "/scratch", "mounts"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "write /x: Read-only file system")) << r.out;
  EXPECT_TRUE(contains(r.out, "write /scratch/x: ok")) << r.out;
  EXPECT_TRUE(contains(r.out, "stat /scratch: mode=0700")) << r.out;
  EXPECT_TRUE(contains(r.out, " /scratch rw,nosuid")) << r.out;
}

TEST_F(RuntimeConfig, ReadonlyBindMountOfAHostDirectory) {
  std::string host = dir_->path() + "/shared";
  ::mkdir(host.c_str(), 0755);
  std::ofstream(host + "/file") << "from host\n";
  Json c = config();
  c["mounts"].push_back(
      {{"destination", "/data"}, {"type", "bind"}, {"source", host}, {"options", {"rbind", "ro"}}});
  auto r = run_helper(c, {"read", "/data/file", "write", "/data/new", "x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "from host")) << r.out;
  EXPECT_TRUE(contains(r.out, "write /data/new: Read-only file system")) << r.out;
}

TEST_F(RuntimeConfig, DevicesAndDefaultDevNodes) {
  Json c = config();
  c["linux"]["devices"] = {{{"path", "/dev/fuse"},
                            {"type", "c"},
                            {"major", 10},
                            {"minor", 229},
                            {"fileMode", 0640},
                            {"uid", 0},
                            {"gid", 0}}};
  c["linux"]["resources"]["devices"].push_back(
      {{"allow", true}, {"type", "c"}, {"major", 10}, {"minor", 229}, {"access", "rwm"}});
  auto r = run_helper(c, {"stat", "/dev/fuse", "stat", "/dev/null", "stat", "/dev/ptmx", "write",
                          "/dev/null", "x"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "stat /dev/fuse: mode=0640 uid=0 gid=0 type=chr rdev=10:229"))
      << r.out;
  EXPECT_TRUE(contains(r.out, "stat /dev/null: mode=0666 uid=0 gid=0 type=chr rdev=1:3")) << r.out;
  EXPECT_TRUE(contains(r.out, "stat /dev/ptmx: mode=0777 uid=0 gid=0 type=link")) << r.out;
  EXPECT_TRUE(contains(r.out, "write /dev/null: ok")) << r.out;
}

TEST_F(RuntimeConfig, NoDescriptorOfTheRuntimeLeaksIntoTheContainer) {
  auto r = run_helper(config(), {"fds"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& line : {"fd 0 ", "fd 1 ", "fd 2 "}) EXPECT_TRUE(contains(r.out, line)) << r.out;
  EXPECT_FALSE(contains(r.out, "fd 3 ")) << r.out;
  EXPECT_FALSE(contains(r.out, "fd 4 ")) << r.out;
}

TEST_F(RuntimeConfig, PreserveFdsPassesExactlyThoseDescriptors) {
  Json c = config();
  c["process"]["args"] = {"/bin/quai-testhelper", "fds"};
  std::string b = bundle(c);
  // fd 3 is passed on; fd 4 is open in the caller too but not preserved.
  auto r = sh("exec 3</etc/hostname 4</etc/hostname; " + runtime_binary() + " --root " + root_ +
              " run --preserve-fds 1 --bundle " + b + " " + id());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "fd 3 -> /etc/hostname")) << r.out;
  EXPECT_FALSE(contains(r.out, "fd 4 ")) << r.out;
}

TEST_F(RuntimeConfig, SysctlInTheContainersNetworkNamespace) {
  Json c = config();
  c["linux"]["sysctl"] = {{"net.ipv4.ip_forward", "1"}};
  auto r = run_helper(c, {"read", "/proc/sys/net/ipv4/ip_forward"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1\n");
  c["linux"]["sysctl"] = {{"kernel.panic", "1"}};
  auto refused = run_helper(c, {"echo", "x"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err,
                       "linux.sysctl.kernel.panic: not a sysctl of the container's namespaces"))
      << refused.err;
}

TEST_F(RuntimeConfig, MemoryLimitOomKillsTheContainer) {
  Json c = config();
  c["linux"]["resources"]["memory"] = {{"limit", 32 << 20}, {"swap", 32 << 20}};
  auto r = run_helper(c, {"echo", "before", "alloc", "100", "echo", "after"});
  EXPECT_EQ(r.exit_code, 137) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "before")) << r.out;
  EXPECT_FALSE(contains(r.out, "after")) << r.out;
}

TEST_F(RuntimeConfig, PidsLimitContainsAForkBomb) {
  Json c = config();
  c["linux"]["resources"]["pids"] = {{"limit", 10}};
  auto r = run_helper(c, {"fork", "50"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "fork failed: Resource temporarily unavailable")) << r.out;
  EXPECT_TRUE(contains(r.out, "forked 9 of 50")) << r.out;
}

TEST_F(RuntimeConfig, CgroupNamespaceShowsTheContainerAsRoot) {
  auto r = run_helper(config(), {"cgroup"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, ":memory:/\n")) << r.out;
  EXPECT_FALSE(contains(r.out, "quai")) << r.out;
}

TEST_F(RuntimeConfig, UserNamespaceWithIdMappings) {
  Json c = config();
  c["linux"]["namespaces"].push_back({{"type", "user"}});
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  auto r = run_helper(c, {"ids", "read", "/proc/self/uid_map"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "uid=0/0/0 gid=0/0/0")) << r.out;
  EXPECT_TRUE(contains(r.out, "100000")) << r.out;
}

TEST_F(RuntimeConfig, NoPivotUsesMoveAndChroot) {
  Json c = config();
  c["process"]["args"] = {"/bin/quai-testhelper", "ls", "/"};
  auto r = runtime({"run", "--no-pivot", "--bundle", bundle(c), id()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "proc\n")) << r.out;
}

TEST_F(RuntimeConfig, MissingExecutableFailsCreateWith127Semantics) {
  Json c = config();
  c["process"]["args"] = {"no-such-binary"};
  auto missing = runtime({"create", "--bundle", bundle(c), id()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(contains(missing.err, "executable file `no-such-binary` not found in $PATH"))
      << missing.err;
  EXPECT_EQ(runtime({"list", "-q"}).out, "");
}

}  // namespace
}  // namespace quai::test
