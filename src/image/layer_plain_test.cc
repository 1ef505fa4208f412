// Plain trees (cp, volume copy-up) through the layer code: pack_path names one node,
// `.wh.` names stay files, owners can be overridden, and a directory is never replaced by
// a file (or the other way round).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "image/layer.h"
#include "image/layer_test_support.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

using testing::TarBuilder;

class LayerPlainTest : public testing::LayerFixture {
 protected:
  static UnpackOptions plain() {
    UnpackOptions options = default_options();
    options.whiteouts = false;
    options.keep_directory_kinds = true;
    return options;
  }

  // The tar pack_path writes for `name` in the fixture's temp dir.
  std::string packed_path(const std::string& name, const std::string& tar_name) {
    sys::UniqueFd out(testing::memfd_with(""));
    sys::UniqueFd dir(::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    auto packed = pack_path(dir.get(), name, tar_name, out.get(), "test");
    EXPECT_TRUE(packed) << packed.error().to_string();
    ::lseek(out.get(), 0, SEEK_SET);
    return sys::read_all(out.get()).value();
  }
};

TEST_F(LayerPlainTest, PackPathNamesTheNodeAsAskedAndUnpacksBelowIt) {
  ASSERT_TRUE(sys::mkdir_p(root_ + "/src/sub"));
  ASSERT_TRUE(sys::write_file_atomic(root_ + "/src/sub/f", "data"));
  auto unpacked = unpack(packed_path("src", "renamed"), plain());
  ASSERT_TRUE(unpacked) << unpacked.error().to_string();
  EXPECT_EQ(content("renamed/sub/f"), "data");
  ASSERT_TRUE(sys::remove_tree(layer_) && sys::mkdir_p(layer_));
  unpacked = unpack(packed_path("src", "."), plain());
  ASSERT_TRUE(unpacked) << unpacked.error().to_string();
  EXPECT_EQ(content("sub/f"), "data") << "\".\" puts the content at the top";
}

TEST_F(LayerPlainTest, WhiteoutNamesAreOrdinaryFilesWhenWhiteoutsAreOff) {
  auto unpacked = unpack(TarBuilder().file(".wh.gone", "x").finish(), plain());
  ASSERT_TRUE(unpacked) << unpacked.error().to_string();
  EXPECT_EQ(content(".wh.gone"), "x");
  EXPECT_FALSE(exists("gone"));
}

TEST_F(LayerPlainTest, OwnerOverrideAppliesToEveryNode) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  UnpackOptions options = plain();
  options.owner = std::pair<uid_t, gid_t>(42, 43);
  auto unpacked =
      unpack(TarBuilder().dir("d", {.mode = 0755, .uid = 7}).file("d/f", "x", {.uid = 7}).finish(),
             options);
  ASSERT_TRUE(unpacked) << unpacked.error().to_string();
  EXPECT_EQ(lstat_of("d").st_uid, 42u);
  EXPECT_EQ(lstat_of("d/f").st_gid, 43u);
}

TEST_F(LayerPlainTest, KeepsDirectoriesAndFilesFromReplacingEachOther) {
  ASSERT_TRUE(sys::mkdir_p(layer_ + "/dir/inner"));
  ASSERT_TRUE(sys::write_file_atomic(layer_ + "/file", "old"));
  auto file_over_dir = unpack(TarBuilder().file("dir", "x").finish(), plain());
  ASSERT_FALSE(file_over_dir);
  EXPECT_NE(file_over_dir.error().to_string().find("cannot overwrite directory"),
            std::string::npos);
  EXPECT_TRUE(exists("dir/inner"));
  auto dir_over_file = unpack(TarBuilder().dir("file").finish(), plain());
  ASSERT_FALSE(dir_over_file);
  EXPECT_EQ(content("file"), "old");
  auto file_over_file = unpack(TarBuilder().file("file", "new").finish(), plain());
  ASSERT_TRUE(file_over_file) << file_over_file.error().to_string();
  EXPECT_EQ(content("file"), "new");
}

}  // namespace
}  // namespace quai::image
