#include "image/layer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "base/sha256.h"
#include "image/internal/entry_path.h"
#include "image/layer_test_support.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

using testing::TarBuilder;

class LayerTest : public testing::LayerFixture {};

using testing::sample_tar;

TEST(LayerEntryPath, CleansLexicallyAndRefusesClimbingAboveTheRoot) {
  auto clean = [](std::string_view path) {
    auto where = internal::clean_entry_path(path);
    return where ? where->parent + "|" + where->name : "refused";
  };
  EXPECT_EQ(clean("./usr/bin/env"), "usr/bin|env");
  EXPECT_EQ(clean("/etc//passwd/"), "etc|passwd");
  EXPECT_EQ(clean("a/b/../c"), "a|c");
  EXPECT_EQ(clean("file"), ".|file");
  EXPECT_EQ(clean("./"), ".|.");
  EXPECT_EQ(clean("a/../.."), "refused");
  EXPECT_EQ(clean("../etc"), "refused");
  EXPECT_EQ(clean("/../etc"), "refused") << "absolute is relative to the root, not clamped";
}

TEST(LayerCompression, DetectsGzipAndZstdByMagicBytes) {
  EXPECT_EQ(detect_compression("\x1f\x8b\x08"), Compression::Gzip);
  EXPECT_EQ(detect_compression("\x28\xb5\x2f\xfd\x00"), Compression::Zstd);
  EXPECT_EQ(detect_compression("etc/hostname"), Compression::None);
  EXPECT_EQ(detect_compression(""), Compression::None);
}

TEST_F(LayerTest, UnpacksPlainGzipAndZstdWithDiffIdOfUncompressedTar) {
  std::string tar = sample_tar();
  for (const std::string& data : {tar, testing::gzip(tar), testing::zstd(tar)}) {
    ASSERT_TRUE(sys::remove_tree(layer_) && sys::mkdir_p(layer_));
    auto layer = unpack(data);
    ASSERT_TRUE(layer) << layer.error().to_string();
    EXPECT_EQ(layer->diff_id.hex(), sha256_hex(tar));
    EXPECT_EQ(layer->tar_size, tar.size());
    EXPECT_EQ(layer->disk_size, 300004u);
    EXPECT_EQ(content("etc/hostname"), "box\n");
    EXPECT_EQ(content("bin/tool"), std::string(300000, 'x'));
    EXPECT_EQ(content("etc/link"), "box\n");
  }
}

TEST_F(LayerTest, AppliesModesSetuidBitsAndTimesAfterContent) {
  std::string tar = TarBuilder()
                        .dir("ro", {.mode = 0555, .mtime = 1000})
                        .file("ro/suid", "x", {.mode = 04755, .mtime = 2000})
                        .file("ro/private", "y", {.mode = 0400, .mtime = 3000})
                        .finish();
  ASSERT_TRUE(unpack(tar)) << "a read-only directory is filled before its mode is set";
  EXPECT_EQ(lstat_of("ro").st_mode & 07777, 0555u);
  EXPECT_EQ(lstat_of("ro").st_mtime, 1000) << "directory times are set after their content";
  EXPECT_EQ(lstat_of("ro/suid").st_mode & 07777, 04755u);
  EXPECT_EQ(lstat_of("ro/suid").st_mtime, 2000);
  EXPECT_EQ(lstat_of("ro/private").st_mode & 07777, 0400u);
}

TEST_F(LayerTest, AppliesOwnershipAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  std::string tar = TarBuilder()
                        .dir("home", {.mode = 0750, .uid = 1000, .gid = 1000})
                        .file("home/f", "x", {.mode = 06755, .uid = 1000, .gid = 100})
                        .finish();
  ASSERT_TRUE(unpack(tar));
  EXPECT_EQ(lstat_of("home").st_uid, 1000u);
  EXPECT_EQ(lstat_of("home/f").st_gid, 100u);
  EXPECT_EQ(lstat_of("home/f").st_mode & 07777, 06755u) << "chown must not clear set-id bits";
}

TEST_F(LayerTest, KeepsUserAndCapabilityXattrsButNotOverlayOrSelinuxOnes) {
  std::string tar = TarBuilder()
                        .file("f", "x",
                              {.xattrs = {{"user.note", "hi"},
                                          {"trusted.overlay.redirect", "/etc"},
                                          {"security.selinux", "system_u:object_r:etc_t:s0"}}})
                        .finish();
  ASSERT_TRUE(unpack(tar));
  EXPECT_EQ(xattr("f", "user.note"), "hi");
  EXPECT_EQ(xattr("f", "trusted.overlay.redirect"), "<none>");
  EXPECT_EQ(xattr("f", "security.selinux").find("etc_t"), std::string::npos);
}

TEST_F(LayerTest, ConvertsWhiteoutsToOverlayForm) {
  std::string tar = TarBuilder()
                        .dir("d")
                        .file("d/.wh.gone", "")
                        .file("d/.wh..wh..opq", "")
                        .file(".wh..wh.plnk", "")
                        .finish();
  ASSERT_TRUE(unpack(tar));
  struct stat st = lstat_of("d/gone");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(exists("d/.wh.gone"));
  EXPECT_FALSE(exists(".wh..wh.plnk")) << "other .wh..wh. entries are ignored";
  if (::geteuid() == 0) {
    EXPECT_EQ(xattr("d", "trusted.overlay.opaque"), "y");
  }
}

TEST_F(LayerTest, LaterEntryReplacesEarlierOne) {
  std::string tar = TarBuilder()
                        .dir("a")
                        .file("a/inner", "1")
                        .file("a", "now a file")
                        .file("b", "old")
                        .file("b", "new")
                        .symlink("c", "a")
                        .dir("c")
                        .file("c/f", "in a real directory")
                        .dir("keep")
                        .file("keep/f", "stays")
                        .dir("keep", {.mode = 0700})
                        .finish();
  ASSERT_TRUE(unpack(tar)) << unpack(tar).error().to_string();
  EXPECT_EQ(content("a"), "now a file");
  EXPECT_EQ(content("b"), "new");
  EXPECT_TRUE(S_ISDIR(lstat_of("c").st_mode));
  EXPECT_EQ(content("c/f"), "in a real directory");
  EXPECT_EQ(content("keep/f"), "stays") << "a directory over a directory keeps its content";
  EXPECT_EQ(lstat_of("keep").st_mode & 07777, 0700u);
}

TEST_F(LayerTest, CreatesMissingParentsAndHardLinks) {
  std::string tar = TarBuilder().file("x/y/z", "data").hard_link("x/link", "x/y/z").finish();
  ASSERT_TRUE(unpack(tar));
  EXPECT_EQ(lstat_of("x/link").st_ino, lstat_of("x/y/z").st_ino);
  EXPECT_EQ(lstat_of("x/y/z").st_nlink, 2u);
}

TEST_F(LayerTest, PackThenUnpackKeepsTheTree) {
  bool root = ::geteuid() == 0;
  TarBuilder tar;
  tar.dir("etc", {.mode = 0710, .uid = root ? 5u : 0u, .mtime = 1111})
      .file("etc/shadow", "s", {.mode = 0640, .gid = root ? 42u : 0u, .mtime = 2222})
      .file("bin/ping", "p", {.mode = 0755, .xattrs = {{"user.cap", "v"}}})
      .hard_link("bin/ping6", "bin/ping")
      .symlink("bin/sh", "/bin/busybox")
      .file("d/.wh.old", "", {.mtime = 3333})
      .file("d/.wh..wh..opq", "");
  if (root) tar.device("dev/null", S_IFCHR, makedev(1, 3), {.mode = 0666});
  ASSERT_TRUE(unpack(tar.finish()));
  EXPECT_EQ(lstat_of("d/old").st_mtime, 3333) << "a whiteout keeps its entry's time";
  std::string second = root_ + "/second";
  ASSERT_TRUE(sys::mkdir_p(second));
  std::string packed_tar = packed(layer_);
  auto again = unpack_into(second, packed_tar);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->diff_id.hex(), sha256_hex(packed_tar));
  for (const char* path : {"etc", "etc/shadow", "bin/ping", "bin/ping6", "bin/sh", "d/old"}) {
    struct stat a = lstat_of(path), b = {};
    ASSERT_EQ(::lstat((second + "/" + path).c_str(), &b), 0) << path;
    EXPECT_EQ(a.st_mode, b.st_mode) << path;
    EXPECT_EQ(a.st_uid, b.st_uid) << path;
    EXPECT_EQ(a.st_gid, b.st_gid) << path;
    EXPECT_EQ(a.st_nlink, b.st_nlink) << path;
    EXPECT_EQ(a.st_rdev, b.st_rdev) << path;
    if (!S_ISLNK(a.st_mode)) {
      EXPECT_EQ(a.st_mtime, b.st_mtime) << path;
    }
  }
  EXPECT_EQ(lstat_of("etc").st_mtime, 1111);
  EXPECT_EQ(sys::read_file(second + "/bin/ping").value(), "p");
  EXPECT_EQ(::lgetxattr((second + "/bin/ping").c_str(), "user.cap", nullptr, 0), 1);
  if (root) {
    EXPECT_EQ(::lgetxattr((second + "/d").c_str(), "trusted.overlay.opaque", nullptr, 0), 1);
    struct stat dev = {};
    ASSERT_EQ(::lstat((second + "/dev/null").c_str(), &dev), 0);
    EXPECT_EQ(dev.st_rdev, makedev(1, 3));
  }
  EXPECT_EQ(packed(second), packed_tar) << "packing is deterministic";
}

TEST_F(LayerTest, PackWritesWhiteoutsAsWhEntries) {
  ASSERT_TRUE(unpack(TarBuilder().file("d/.wh.old", "").file("d/.wh..wh..opq", "").finish()));
  std::string tar = packed(layer_);
  EXPECT_NE(tar.find("d/.wh.old"), std::string::npos);
  if (::geteuid() == 0) {
    EXPECT_NE(tar.find("d/.wh..wh..opq"), std::string::npos);
  }
  EXPECT_EQ(tar.find("overlay"), std::string::npos) << "overlay xattrs are not content";
}

}  // namespace
}  // namespace quai::image
