#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::sys {
namespace {

class RootDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/quai-fs-test.XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    ASSERT_TRUE(mkdir_p(root_ + "/rootfs/etc"));
    ASSERT_TRUE(mkdir_p(root_ + "/outside"));
    fd_ = UniqueFd(::open((root_ + "/rootfs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  void TearDown() override { ASSERT_TRUE(remove_tree(root_)); }

  std::string root_;
  UniqueFd fd_;
};

TEST_F(RootDir, SymlinkToSlashStaysInsideRoot) {
  ASSERT_EQ(::symlink("/", (root_ + "/rootfs/escape").c_str()), 0);
  auto made = make_path_in_root(fd_.get(), "/escape/tmp/x", NodeKind::Directory);
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_TRUE(is_directory(root_ + "/rootfs/tmp/x"));
}

TEST_F(RootDir, DotDotSymlinkStaysInsideRoot) {
  ASSERT_EQ(::symlink("../../outside", (root_ + "/rootfs/etc/up").c_str()), 0);
  auto made = make_path_in_root(fd_.get(), "etc/up/file", NodeKind::File);
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_FALSE(path_exists(root_ + "/outside/file"));
  EXPECT_TRUE(path_exists(root_ + "/rootfs/outside/file"));
}

TEST_F(RootDir, RemoveTreeRemovesNestedContent) {
  ASSERT_TRUE(mkdir_p(root_ + "/outside/a/b"));
  ASSERT_TRUE(write_file_atomic(root_ + "/outside/a/b/f", "x"));
  ASSERT_TRUE(remove_tree(root_ + "/outside"));
  EXPECT_FALSE(path_exists(root_ + "/outside"));
}

TEST(Path, CleanPathNeverClimbsAboveRoot) {
  EXPECT_EQ(clean_path("a/../../b//c/."), "/b/c");
  EXPECT_EQ(clean_path(""), "/");
}

TEST(AtomicWrite, ReplacesContentWholly) {
  std::string path = "/tmp/quai-atomic-test-" + std::to_string(::getpid());
  ASSERT_TRUE(write_file_atomic(path, "one"));
  ASSERT_TRUE(write_file_atomic(path, "two"));
  EXPECT_EQ(read_file(path).value(), "two");
  EXPECT_FALSE(path_exists(path + ".tmp"));
  ::unlink(path.c_str());
}

}  // namespace
}  // namespace quai::sys
