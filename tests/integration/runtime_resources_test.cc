// Cgroup limits as the host sees them, systemd-style paths, joining namespaces by path,
// and the runtime's own log.

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "support.h"

namespace quai::test {
namespace {

using RuntimeResources = RuntimeTest;

// The file without its trailing newlines.
std::string read_file(const std::string& path) {
  std::string s = read_text(path);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

TEST_F(RuntimeResources, CpuMemoryAndPidsLimitsReachTheHostCgroups) {
  Json c = default_config(shared_rootfs(), {"sleep", "100"});
  c["linux"]["resources"]["cpu"] = {
      {"shares", 512}, {"quota", 50000}, {"period", 100000}, {"cpus", "0"}};
  c["linux"]["resources"]["memory"] = {{"limit", 64 << 20}, {"reservation", 32 << 20}};
  c["linux"]["resources"]["pids"] = {{"limit", 55}};
  ASSERT_EQ(runtime({"create", "--bundle", bundle(c), id()}).exit_code, 0);
  std::string dir = "/quai/" + id();
  if (exists("/sys/fs/cgroup/cpu" + dir)) {
    EXPECT_EQ(read_file("/sys/fs/cgroup/cpu" + dir + "/cpu.shares"), "512");
    EXPECT_EQ(read_file("/sys/fs/cgroup/cpu" + dir + "/cpu.cfs_quota_us"), "50000");
    EXPECT_EQ(read_file("/sys/fs/cgroup/cpuset" + dir + "/cpuset.cpus"), "0");
    EXPECT_EQ(read_file("/sys/fs/cgroup/memory" + dir + "/memory.limit_in_bytes"),
              std::to_string(64 << 20));
    EXPECT_EQ(read_file("/sys/fs/cgroup/memory" + dir + "/memory.soft_limit_in_bytes"),
              std::to_string(32 << 20));
    EXPECT_EQ(read_file("/sys/fs/cgroup/pids" + dir + "/pids.max"), "55");
  } else {
    EXPECT_EQ(read_file("/sys/fs/cgroup" + dir + "/cpu.max"), "50000 100000");
    EXPECT_EQ(read_file("/sys/fs/cgroup" + dir + "/memory.max"), std::to_string(64 << 20));
    EXPECT_EQ(read_file("/sys/fs/cgroup" + dir + "/pids.max"), "55");
  }
  ASSERT_EQ(runtime({"delete", "--force", id()}).exit_code, 0);
  EXPECT_FALSE(cgroup_exists(dir));
}

TEST_F(RuntimeResources, HugetlbLimitGoesWhereverTheControllerIs) {
  if (!exists("/sys/kernel/mm/hugepages/hugepages-2048kB")) GTEST_SKIP() << "no 2 MB huge pages";
  bool on_v1 = exists("/sys/fs/cgroup/hugetlb/hugetlb.2MB.limit_in_bytes");
  bool on_v2 =
      read_file("/sys/fs/cgroup/unified/cgroup.controllers").find("hugetlb") != std::string::npos ||
      read_file("/sys/fs/cgroup/cgroup.controllers").find("hugetlb") != std::string::npos;
  if (!on_v1 && !on_v2) GTEST_SKIP() << "the hugetlb controller is in no mounted hierarchy";
  // Enabling hugetlb for children of the cgroup2 root is a lasting change: undo it after.
  std::string delegated = read_file("/sys/fs/cgroup/unified/cgroup.subtree_control");
  struct RestoreDelegation {
    bool had_hugetlb;
    ~RestoreDelegation() {
      if (!had_hugetlb)
        sh("echo -hugetlb > /sys/fs/cgroup/unified/cgroup.subtree_control 2>/dev/null");
    }
  } restore{delegated.find("hugetlb") != std::string::npos};
  Json c = default_config(shared_rootfs(), {"sleep", "100"});
  c["linux"]["resources"]["hugepageLimits"] = {{{"pageSize", "2MB"}, {"limit", 4194304}}};
  auto created = runtime({"create", "--bundle", bundle(c), id()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string dir = "/quai/" + id();
  std::string v1 = "/sys/fs/cgroup/hugetlb" + dir + "/hugetlb.2MB.limit_in_bytes";
  std::string hybrid = "/sys/fs/cgroup/unified" + dir + "/hugetlb.2MB.max";
  std::string v2 = "/sys/fs/cgroup" + dir + "/hugetlb.2MB.max";
  std::string file = exists(v1) ? v1 : exists(hybrid) ? hybrid : v2;
  EXPECT_EQ(read_file(file), "4194304") << file;
  ASSERT_EQ(runtime({"delete", "--force", id()}).exit_code, 0);
}

TEST_F(RuntimeResources, SystemdStyleCgroupsPathIsTranslated) {
  Json c = default_config(shared_rootfs(), {"sleep", "100"});
  // "a-b.slice" nests in "a.slice" as systemd does; keep the slice name without dashes.
  c["linux"]["cgroupsPath"] = "quaiit.slice:quai:" + id();
  auto created = run({runtime_binary(), "--root", root_, "--systemd-cgroup", "create", "--bundle",
                      bundle(c), id()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_TRUE(cgroup_exists("/quaiit.slice/quai-" + id() + ".scope"));
  ASSERT_EQ(runtime({"delete", "--force", id()}).exit_code, 0);
  EXPECT_FALSE(cgroup_exists("/quaiit.slice/quai-" + id() + ".scope"));
  sh("rmdir /sys/fs/cgroup/*/quaiit.slice 2>/dev/null");
}

TEST_F(RuntimeResources, JoinsAnotherContainersNamespacesByPath) {
  Json first = default_config(shared_rootfs(), {"sleep", "100"});
  first["hostname"] = "shared-uts";
  ASSERT_EQ(runtime({"run", "--detach", "--bundle", bundle(first), id("-a")}).exit_code, 0);
  int pid = Json::parse(runtime({"state", id("-a")}).out)["pid"];
  Json second = default_config(shared_rootfs(), {"/bin/quai-testhelper", "hostname", "exec",
                                                 "/bin/readlink", "/proc/self/ns/net", "--"});
  second.erase("hostname");  // a hostname would be set in the joined namespace too
  for (auto& ns : second["linux"]["namespaces"]) {
    if (ns["type"] == "uts" || ns["type"] == "network") {
      ns["path"] = "/proc/" + std::to_string(pid) + "/ns/" + (ns["type"] == "uts" ? "uts" : "net");
    }
  }
  auto r = runtime({"run", "--bundle", bundle(second), id("-b")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("hostname=shared-uts"), std::string::npos) << r.out;
  char link[256] = {};
  ASSERT_GT(::readlink(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), link, sizeof link - 1),
            0);
  EXPECT_NE(r.out.find(link), std::string::npos)
      << "same network namespace as the first: " << r.out;
}

TEST_F(RuntimeResources, JsonLogCarriesTheErrorForPodman) {
  Json c = default_config(shared_rootfs(), {"true"});
  c["root"]["path"] = "/nonexistent-rootfs";
  std::string log = dir_->path() + "/runtime.log";
  auto r = run({runtime_binary(), "--root", root_, "--log", log, "--log-format", "json", "create",
                "--bundle", bundle(c), id()});
  EXPECT_EQ(r.exit_code, 1);
  std::string line = read_file(log);
  Json entry = Json::parse(line);
  EXPECT_EQ(entry["level"], "error");
  EXPECT_NE(
      entry["msg"].get<std::string>().find("root.path: \"/nonexistent-rootfs\" is not a directory"),
      std::string::npos)
      << line;
  EXPECT_TRUE(entry.contains("time"));
}

TEST_F(RuntimeResources, ExecFlagsOverrideTheContainersProcess) {
  ASSERT_EQ(runtime({"run", "--detach", "--bundle",
                     bundle(default_config(shared_rootfs(), {"sleep", "100"})), id()})
                .exit_code,
            0);
  auto r = runtime({"exec", "--cwd", "/tmp", "--env", "QUAI_X=1", "--user", "1000:1000", "--cap",
                    "CAP_KILL", id(), "/bin/quai-testhelper", "cwd", "ids", "env", "caps"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("cwd=/tmp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("uid=1000/1000/1000 gid=1000/1000/1000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("QUAI_X=1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("CapEff: 0000000000000020"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace quai::test

namespace quai::test {
namespace {

TEST_F(RuntimeResources, DeleteRemovesTheCgroupsItMadeAndOnlyThose) {
  Json c = default_config(shared_rootfs(), {"true"});
  c["linux"]["cgroupsPath"] = "/quai-it-parent/" + id();
  ASSERT_EQ(runtime({"run", "--bundle", bundle(c), id()}).exit_code, 0);
  EXPECT_FALSE(cgroup_exists("/quai-it-parent"))
      << "a parent made by create goes with the container";

  // A cgroup that existed before the container (someone else's) survives its deletion.
  ASSERT_EQ(sh("for h in /sys/fs/cgroup/*/; do mkdir -p $h/quai-it-theirs; done").exit_code, 0);
  c["linux"]["cgroupsPath"] = "/quai-it-theirs";
  ASSERT_EQ(runtime({"run", "--bundle", bundle(c), id("-2")}).exit_code, 0);
  EXPECT_TRUE(cgroup_exists("/quai-it-theirs"));
  sh("rmdir /sys/fs/cgroup/*/quai-it-theirs");
  EXPECT_FALSE(cgroup_exists("/quai-it-theirs"));
}

}  // namespace
}  // namespace quai::test
