#include <sys/mount.h>

#include <gtest/gtest.h>

#include "runtime/mounts.h"

namespace quai::runtime {
namespace {

TEST(MountOptions, FlagsPropagationAndDataAreSeparated) {
  auto options =
      parse_mount_options({"nosuid", "nodev", "ro", "rslave", "size=65536k", "mode=755"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->flags, static_cast<unsigned long>(MS_NOSUID | MS_NODEV | MS_RDONLY));
  EXPECT_EQ(options->propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
  EXPECT_EQ(options->data, "size=65536k,mode=755");
  EXPECT_FALSE(options->bind);
}

TEST(MountOptions, LaterOptionsWin) {
  auto options = parse_mount_options({"ro", "rw", "noexec", "exec"});
  ASSERT_TRUE(options);
  EXPECT_EQ(options->flags, 0u);
}

TEST(MountOptions, BindAndRbind) {
  auto bind = parse_mount_options({"bind"});
  auto rbind = parse_mount_options({"rbind", "ro"});
  ASSERT_TRUE(bind && rbind);
  EXPECT_TRUE(bind->bind);
  EXPECT_FALSE(bind->recursive_bind);
  EXPECT_TRUE(rbind->recursive_bind);
  EXPECT_EQ(rbind->flags, static_cast<unsigned long>(MS_RDONLY));
}

TEST(MountOptions, IdmapIsRefusedClearly) {
  auto options = parse_mount_options({"idmap"});
  ASSERT_FALSE(options);
  EXPECT_EQ(options.error().to_string(), "mount option \"idmap\" is not supported");
}

TEST(MountOptions, PropagationNames) {
  EXPECT_EQ(propagation_flags("rprivate"), static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(propagation_flags("shared"), static_cast<unsigned long>(MS_SHARED));
  EXPECT_EQ(propagation_flags(""), 0u);
}

}  // namespace
}  // namespace quai::runtime
