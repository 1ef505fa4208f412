// Hostile and broken bundles: every error names what is wrong, exits 1, and leaves
// nothing under --root, in the cgroup tree or in the mount table.

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "support.h"

namespace quai::test {
namespace {

class RuntimeHostile : public RuntimeTest {
 protected:
  /// create must fail with `message` in stderr and leave no trace.
  void expect_refused(const std::string& bundle_dir, const std::string& message) {
    auto r = runtime({"create", "--bundle", bundle_dir, id()});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << "stderr: " << r.err;
    EXPECT_EQ(runtime({"list", "-q"}).out, "");
    EXPECT_FALSE(std::ifstream(root_ + "/" + id() + "/state.json").good()) << "state left behind";
    struct stat st;
    EXPECT_NE(::stat((root_ + "/" + id()).c_str(), &st), 0) << "state dir left behind";
    EXPECT_FALSE(cgroup_exists("/quai/" + id())) << "cgroup left behind";
    EXPECT_TRUE(mounts_containing(dir_->path()).empty()) << "mount left behind";
  }
  Json config() { return default_config(shared_rootfs(), {"/bin/quai-testhelper", "echo", "ran"}); }
};

TEST_F(RuntimeHostile, MalformedConfigJson) {
  std::string b = dir_->path() + "/broken";
  ::mkdir(b.c_str(), 0755);
  std::ofstream(b + "/config.json") << "{\"ociVersion\": \"1.2.0\", \"root\": ";
  expect_refused(b, b + "/config.json: invalid JSON");
}

TEST_F(RuntimeHostile, UnknownNamespaceType) {
  Json c = config();
  c["linux"]["namespaces"].push_back({{"type", "wormhole"}});
  expect_refused(bundle(c), "linux.namespaces[6].type: unknown namespace type \"wormhole\"");
}

TEST_F(RuntimeHostile, MissingRootfs) {
  Json c = config();
  c["root"]["path"] = dir_->path() + "/no-such-rootfs";
  expect_refused(bundle(c),
                 "root.path: \"" + dir_->path() + "/no-such-rootfs\" is not a directory");
}

TEST_F(RuntimeHostile, RelativeCgroupsPathWithDotDot) {
  Json c = config();
  c["linux"]["cgroupsPath"] = "quai-it/../../../escape";
  expect_refused(bundle(c),
                 "linux.cgroupsPath: \"quai-it/../../../escape\" must not contain \"..\"");
}

TEST_F(RuntimeHostile, FailureLateInSetupIsRolledBack) {
  Json c = config();
  // The mount fails after the cgroup, the state dir and earlier mounts were made.
  c["mounts"].push_back({{"destination", "/bad"}, {"type", "no-such-fs"}, {"source", "none"}});
  expect_refused(bundle(c), "mounts[7]: mount \"/bad\"");
}

// A mount destination that goes through a symlink pointing at "/" or ".." must land
// inside the rootfs, never on the host.
TEST_F(RuntimeHostile, MountThroughSymlinksStaysInsideTheRootfs) {
  std::string rootfs = dir_->path() + "/evil-rootfs";
  make_rootfs(rootfs);
  std::string marker = "quai-escape-" + std::to_string(::getpid());
  ASSERT_EQ(::symlink("/", (rootfs + "/to-slash").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../../../..", (rootfs + "/to-dotdot").c_str()), 0);
  Json c = default_config(rootfs, {"/bin/quai-testhelper", "ls", "/tmp", "ls", "/var"});
  c["mounts"].push_back(
      {{"destination", "/to-slash/tmp/" + marker}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  c["mounts"].push_back(
      {{"destination", "/to-dotdot/var/" + marker}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  auto r = runtime({"run", "--bundle", bundle(c), id()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(marker), std::string::npos) << "the mounts exist inside: " << r.out;
  struct stat st;
  EXPECT_NE(::stat(("/tmp/" + marker).c_str(), &st), 0) << "created on the host";
  EXPECT_NE(::stat(("/var/" + marker).c_str(), &st), 0) << "created on the host";
  EXPECT_EQ(::stat((rootfs + "/tmp/" + marker).c_str(), &st), 0) << "made inside the rootfs";
  EXPECT_TRUE(mounts_containing(marker).empty()) << "a mount leaked to the host";
}

TEST_F(RuntimeHostile, ProcessCwdOutsideTheRootIsNotReachable) {
  // CVE-2024-21626: a cwd through a leaked fd would reach the host. No fd leaks, so the
  // path simply does not exist inside the container.
  Json c = config();
  c["process"]["cwd"] = "/proc/self/fd/7";
  auto r = runtime({"run", "--bundle", bundle(c), id()});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.err.find("process.cwd \"/proc/self/fd/7\""), std::string::npos) << r.err;
}

// CVE-2019-5736: between create and start the init is the runtime's own binary, inside the
// container. A process in the container must not be able to open it through /proc/1/exe
// (and later write the binary on the host).
// The attacker is root of the container's user namespace with CAP_SYS_PTRACE there. The
// init is unreachable because it is non-dumpable (PR_SET_DUMPABLE, and the kernel also
// clears dumpable on its uid change) and holds more capabilities than any exec'd process.
TEST_F(RuntimeHostile, RuntimeBinaryIsNotReachableThroughProcExe) {
  Json c = default_config(shared_rootfs(), {"sleep", "100"});
  c["linux"]["namespaces"].push_back({{"type", "user"}});
  c["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  c["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 100000}, {"size", 65536}}};
  ASSERT_EQ(runtime({"create", "--bundle", bundle(c), id()}).exit_code, 0);
  auto r = runtime(
      {"exec", "--cap", "CAP_SYS_PTRACE", id(), "/bin/quai-testhelper", "read", "/proc/1/exe"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "read /proc/1/exe: Permission denied\n");
}

}  // namespace
}  // namespace quai::test
