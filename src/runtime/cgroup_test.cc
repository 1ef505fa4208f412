// cgroup code on fake cgroupfs trees: the kernel is not involved.

#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "runtime/cgroup.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::runtime {
namespace {

constexpr const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
    "50 23 0:39 /sub /mnt/bound rw - cgroup cgroup rw,pids\n";

TEST(CgroupLayout, ReadsHybridLayout) {
  auto layout = CgroupLayout::from_mountinfo(kHybridMountinfo);
  EXPECT_EQ(layout.mode, CgroupMode::Hybrid);
  ASSERT_NE(layout.v1("memory"), nullptr);
  EXPECT_EQ(layout.v1("memory")->mount_point, "/sys/fs/cgroup/memory");
  ASSERT_NE(layout.v1("name=systemd"), nullptr);
  EXPECT_EQ(layout.v1("pids"), nullptr) << "a bind of a sub-cgroup is not a hierarchy";
  ASSERT_NE(layout.unified(), nullptr);
  EXPECT_EQ(layout.unified()->mount_point, "/sys/fs/cgroup/unified");
}

TEST(CgroupLayout, ReadsPureV2AndV1) {
  auto v2 = CgroupLayout::from_mountinfo(
      "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n");
  EXPECT_EQ(v2.mode, CgroupMode::V2);
  auto v1 = CgroupLayout::from_mountinfo(
      "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu,cpuacct\n");
  EXPECT_EQ(v1.mode, CgroupMode::V1);
  ASSERT_NE(v1.v1("cpuacct"), nullptr);
  EXPECT_EQ(v1.v1("cpuacct"), v1.v1("cpu"));
}

TEST(CgroupsPath, DefaultRelativeAbsoluteAndSystemd) {
  EXPECT_EQ(resolve_cgroups_path("", "web", false).value(), "/quai/web");
  EXPECT_EQ(resolve_cgroups_path("/a/b", "web", false).value(), "/a/b");
  EXPECT_EQ(resolve_cgroups_path("a/b", "web", false).value(), "/a/b");
  EXPECT_EQ(resolve_cgroups_path("machine.slice:libpod:abc", "web", true).value(),
            "/machine.slice/libpod-abc.scope");
  EXPECT_EQ(resolve_cgroups_path("a-b.slice:p:n", "web", true).value(),
            "/a.slice/a-b.slice/p-n.scope");
  EXPECT_FALSE(resolve_cgroups_path("a:b", "web", true));
}

TEST(CgroupV2, WeightConversionsFollowTheSpecMapping) {
  EXPECT_EQ(cpu_shares_to_weight(2), 1u);
  EXPECT_EQ(cpu_shares_to_weight(1024), 39u);
  EXPECT_EQ(cpu_shares_to_weight(262144), 10000u);
  EXPECT_EQ(blkio_weight_to_io_weight(10), 1u);
  EXPECT_EQ(blkio_weight_to_io_weight(1000), 10000u);
}

class FakeCgroupfs : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/quai-cgroupfs.XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    dir_ = root_ + "/quai/c1";
    ASSERT_TRUE(sys::mkdir_p(dir_));
    for (const char* file :
         {"memory.max", "memory.low", "memory.swap.max", "cpu.weight", "cpu.max", "pids.max",
          "io.weight", "io.max", "cpuset.cpus", "hugetlb.2MB.max", "cgroup.subtree_control"}) {
      touch(dir_ + "/" + file);
    }
    touch(root_ + "/cgroup.subtree_control");
    touch(root_ + "/quai/cgroup.subtree_control");
    ASSERT_TRUE(sys::write_file_atomic(root_ + "/cgroup.controllers",
                                       "cpuset cpu io memory hugetlb pids\n"));
  }
  void TearDown() override { ASSERT_TRUE(sys::remove_tree(root_)); }

  static void touch(const std::string& path) { ASSERT_TRUE(sys::write_file_atomic(path, "")); }
  std::string read(const std::string& file) const {
    return sys::read_file(dir_ + "/" + file).value();
  }

  std::string root_;
  std::string dir_;
};

TEST_F(FakeCgroupfs, AppliesMemoryCpuPidsAndIo) {
  Resources res;
  res.memory = MemoryResources{};
  res.memory->limit = 32 << 20;
  res.memory->reservation = 16 << 20;
  res.memory->swap = 64 << 20;
  res.cpu = CpuResources{};
  res.cpu->shares = 1024;
  res.cpu->quota = 50000;
  res.cpu->cpus = "0";
  res.pids_limit = -1;
  res.block_io = BlockIoResources{};
  res.block_io->weight = 500;
  res.block_io->throttle_read_bps.push_back({8, 0, 1048576});
  res.hugepage_limits.push_back({"2MB", 4194304});
  auto applied = apply_v2(dir_, res);
  ASSERT_TRUE(applied) << applied.error().to_string();
  EXPECT_EQ(read("memory.max"), "33554432");
  EXPECT_EQ(read("memory.low"), "16777216");
  EXPECT_EQ(read("memory.swap.max"), "33554432") << "OCI swap is memory+swap";
  EXPECT_EQ(read("cpu.weight"), "39");
  EXPECT_EQ(read("cpu.max"), "50000 100000");
  EXPECT_EQ(read("cpuset.cpus"), "0");
  EXPECT_EQ(read("pids.max"), "max");
  EXPECT_EQ(read("io.weight"), "default 4950");
  EXPECT_EQ(read("io.max"), "8:0 rbps=1048576");
  EXPECT_EQ(read("hugetlb.2MB.max"), "4194304");
}

TEST_F(FakeCgroupfs, SwapBelowLimitIsAnError) {
  Resources res;
  res.memory = MemoryResources{};
  res.memory->limit = 64 << 20;
  res.memory->swap = 32 << 20;
  auto applied = apply_v2(dir_, res);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().to_string().find("linux.resources.memory.swap"), std::string::npos);
}

TEST_F(FakeCgroupfs, UnifiedKeysMustBePlainFileNames) {
  Resources res;
  res.unified["pids.max"] = "7";
  ASSERT_TRUE(apply_v2(dir_, res));
  EXPECT_EQ(read("pids.max"), "7");
  res.unified.clear();
  res.unified["../../escape"] = "1";
  auto applied = apply_v2(dir_, res);
  ASSERT_FALSE(applied);
  EXPECT_EQ(applied.error().to_string(),
            "linux.resources.unified: \"../../escape\" is not a file name");
}

TEST_F(FakeCgroupfs, MissingInterfaceFileNamesCgroupAndFile) {
  Resources res;
  res.cpu = CpuResources{};
  res.cpu->idle = 1;
  auto applied = apply_v2(dir_, res);
  ASSERT_FALSE(applied);
  EXPECT_NE(applied.error().to_string().find(dir_ + "/cpu.idle"), std::string::npos);
}

TEST_F(FakeCgroupfs, EnablesNeededControllersInAncestorsOnly) {
  Resources res;
  res.memory = MemoryResources{};
  res.memory->limit = 1 << 20;
  res.pids_limit = 10;
  ASSERT_TRUE(enable_v2_controllers(root_, dir_, &res));
  EXPECT_EQ(sys::read_file(root_ + "/cgroup.subtree_control").value(), "+memory +pids");
  EXPECT_EQ(sys::read_file(root_ + "/quai/cgroup.subtree_control").value(), "+memory +pids");
  EXPECT_EQ(read("cgroup.subtree_control"), "") << "the leaf holds processes and delegates nothing";
}

}  // namespace
}  // namespace quai::runtime
