// Layers made to attack the host: every test proves that nothing outside the layer
// directory changed, whatever the outcome.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "image/layer.h"
#include "image/layer_test_support.h"
#include "sys/fd.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

using testing::TarBuilder;

class LayerUnpack : public testing::LayerFixture {};

TEST_F(LayerUnpack, RefusesPathEscapingThroughDotDot) {
  Error error = refused(TarBuilder().file("../x", "pwned").finish());
  EXPECT_EQ(error.code(), Errc::Corrupt);
  EXPECT_NE(error.to_string().find("layer sha256:test"), std::string::npos) << error.to_string();
  EXPECT_NE(error.to_string().find("\"../x\" leads outside the layer"), std::string::npos)
      << error.to_string();
}

TEST_F(LayerUnpack, RefusesNestedDotDotThatClimbsAboveTheRoot) {
  Error error = refused(TarBuilder().dir("a").file("a/../../x", "pwned").finish());
  EXPECT_NE(error.to_string().find("a/../../x"), std::string::npos) << error.to_string();
}

TEST_F(LayerUnpack, TakesAbsolutePathsAsRelativeToTheLayerRoot) {
  auto layer = unpack(TarBuilder().file("/etc/quai-layer-test-x", "confined").finish());
  ASSERT_TRUE(layer) << layer.error().to_string();
  EXPECT_EQ(content("etc/quai-layer-test-x"), "confined");
  EXPECT_FALSE(sys::path_exists("/etc/quai-layer-test-x"));
  expect_outside_unchanged();
}

TEST_F(LayerUnpack, SymlinkToSlashCannotRedirectALaterFile) {
  auto layer = unpack(TarBuilder().symlink("l", "/").file("l/sentinel", "pwned").finish());
  ASSERT_TRUE(layer) << layer.error().to_string();
  EXPECT_EQ(content("sentinel"), "pwned") << "resolved inside the layer root";
  EXPECT_FALSE(sys::path_exists("/sentinel"));
  expect_outside_unchanged();
}

TEST_F(LayerUnpack, SymlinkToDotDotCannotRedirectALaterFile) {
  std::string tar = TarBuilder()
                        .symlink("up", "..")
                        .file("up/x", "pwned")
                        .symlink("deep", "../../../..")
                        .file("deep/sentinel", "pwned")
                        .dir("sub")
                        .symlink("sub/up2", "../..")
                        .file("sub/up2/etc/passwd", "pwned")
                        .finish();
  auto layer = unpack(tar);
  ASSERT_TRUE(layer) << layer.error().to_string();
  EXPECT_EQ(content("x"), "pwned");
  EXPECT_EQ(content("etc/passwd"), "pwned");
  expect_outside_unchanged();
}

TEST_F(LayerUnpack, RefusesHardLinkEscapingThroughDotDot) {
  Error error = refused(TarBuilder().hard_link("pw", "../../etc/passwd").finish());
  EXPECT_NE(error.to_string().find("leads outside the layer"), std::string::npos)
      << error.to_string();
}

TEST_F(LayerUnpack, HardLinkToAbsolutePathNeverReachesTheHost) {
  struct stat host = {};
  ASSERT_EQ(::stat("/etc/passwd", &host), 0);
  Error error = refused(TarBuilder().hard_link("pw", "/etc/passwd").finish());
  EXPECT_EQ(error.sys_errno(), ENOENT) << error.to_string();
  struct stat after = {};
  ASSERT_EQ(::stat("/etc/passwd", &after), 0);
  EXPECT_EQ(after.st_nlink, host.st_nlink);
}

TEST_F(LayerUnpack, HardLinkThroughSymlinkStaysInTheLayer) {
  Error error = refused(TarBuilder().symlink("l", "/").hard_link("pw", "l/etc/passwd").finish());
  EXPECT_EQ(error.sys_errno(), ENOENT) << error.to_string();
  ASSERT_TRUE(sys::remove_tree(layer_) && sys::mkdir_p(layer_));
  std::string tar = TarBuilder()
                        .file("etc/passwd", "layer's own")
                        .symlink("l", "/")
                        .hard_link("pw", "l/etc/passwd")
                        .finish();
  ASSERT_TRUE(unpack(tar));
  EXPECT_EQ(lstat_of("pw").st_ino, lstat_of("etc/passwd").st_ino);
  expect_outside_unchanged();
}

TEST_F(LayerUnpack, SkipsDeviceNodesWhenRootless) {
  std::string tar = TarBuilder()
                        .device("dev/sda", S_IFBLK, makedev(8, 0))
                        .device("dev/mem", S_IFCHR, makedev(1, 1))
                        .file("ok", "fine")
                        .finish();
  auto layer = unpack(tar, {.rootless = true});
  ASSERT_TRUE(layer) << layer.error().to_string();
  EXPECT_FALSE(exists("dev/sda"));
  EXPECT_FALSE(exists("dev/mem"));
  EXPECT_EQ(content("ok"), "fine");
  expect_outside_unchanged();
}

TEST_F(LayerUnpack, RefusesWhiteoutOfDotDot) {
  Error error = refused(TarBuilder().dir("a").file("a/.wh...", "").finish());
  EXPECT_EQ(error.code(), Errc::Corrupt) << error.to_string();
  EXPECT_TRUE(sys::is_directory(layer_ + "/a"));
}

TEST_F(LayerUnpack, RefusesTruncatedGzipStream) {
  std::string gz = testing::gzip(testing::sample_tar());
  Error error = refused(gz.substr(0, gz.size() / 2));
  EXPECT_EQ(error.code(), Errc::Corrupt);
  EXPECT_NE(error.to_string().find("truncated gzip stream"), std::string::npos)
      << error.to_string();
}

TEST_F(LayerUnpack, RefusesGzipStreamMissingItsTrailer) {
  std::string gz = testing::gzip(testing::sample_tar());
  Error error = refused(gz.substr(0, gz.size() - 4));
  EXPECT_NE(error.to_string().find("truncated gzip stream"), std::string::npos)
      << error.to_string();
}

TEST_F(LayerUnpack, RefusesTruncatedZstdStream) {
  std::string zst = testing::zstd(testing::sample_tar());
  Error error = refused(zst.substr(0, zst.size() - 10));
  EXPECT_NE(error.to_string().find("truncated zstd stream"), std::string::npos)
      << error.to_string();
}

TEST_F(LayerUnpack, RefusesTrailingGarbageAfterTheGzipStream) {
  Error error = refused(testing::gzip(testing::sample_tar()) + "garbage!");
  EXPECT_NE(error.to_string().find("trailing data after the gzip stream"), std::string::npos)
      << error.to_string();
}

TEST_F(LayerUnpack, AcceptsConcatenatedGzipMembers) {
  std::string tar = testing::sample_tar();
  std::string half = tar.substr(0, 4096);
  auto layer = unpack(testing::gzip(half) + testing::gzip(tar.substr(4096)));
  ASSERT_TRUE(layer) << layer.error().to_string();
  EXPECT_EQ(layer->tar_size, tar.size());
}

// ISA-L (when installed) and zlib (its fallback) must accept and refuse the same streams.
TEST_F(LayerUnpack, IsalAndZlibAgreeOnGzipStreams) {
  std::string tar = testing::sample_tar();
  std::string gz = testing::gzip(tar);
  for (bool zlib : {false, true}) {
    if (zlib) ::setenv("QUAI_NO_ISAL", "1", 1);
    auto reset = [&] { ASSERT_TRUE(sys::remove_tree(layer_) && sys::mkdir_p(layer_)); };
    auto whole = unpack(gz);
    ASSERT_TRUE(whole) << whole.error().to_string();
    EXPECT_EQ(whole->tar_size, tar.size());
    reset();
    auto members = unpack(testing::gzip(tar.substr(0, 4096)) + testing::gzip(tar.substr(4096)));
    ASSERT_TRUE(members) << members.error().to_string();
    reset();
    EXPECT_NE(refused(gz.substr(0, gz.size() / 2)).to_string().find("truncated gzip stream"),
              std::string::npos);
    reset();
    EXPECT_NE(refused(gz + "garbage!").to_string().find("trailing data after the gzip stream"),
              std::string::npos);
    reset();
    EXPECT_EQ(refused(testing::gzip(std::string(4096, 'g'))).code(), Errc::Corrupt);
    reset();
    ::unsetenv("QUAI_NO_ISAL");
  }
}

TEST_F(LayerUnpack, RefusesTrailingDataAfterTheEndOfTheTar) {
  std::string tar = testing::sample_tar() + std::string(8192, '\0');
  ASSERT_TRUE(unpack(tar)) << "zero padding after the end is normal";
  ASSERT_TRUE(sys::remove_tree(layer_) && sys::mkdir_p(layer_));
  for (const std::string& hostile : {tar + "hidden payload", testing::sample_tar() + "X"}) {
    ASSERT_TRUE(sys::remove_tree(layer_) && sys::mkdir_p(layer_));
    Error error = refused(hostile);
    EXPECT_NE(error.to_string().find("trailing data after the end of the tar"), std::string::npos)
        << error.to_string();
  }
}

TEST_F(LayerUnpack, RefusesOversizedPaxHeader) {
  std::string record = "3000000 path=" + std::string(3000000 - 13 - 1, 'a') + "\n";
  std::string tar = testing::ustar_header("PaxHeader/x", record.size(), 'x') + record;
  tar.resize((tar.size() + 511) / 512 * 512, '\0');
  tar += testing::ustar_header("x", 0, '0') + std::string(1024, '\0');
  Error error = refused(tar);
  EXPECT_EQ(error.code(), Errc::Corrupt);
  EXPECT_NE(error.to_string().find("too large"), std::string::npos) << error.to_string();
}

TEST_F(LayerUnpack, RefusesOverlongPath) {
  std::string path(100000, 'p');
  for (size_t i = 200; i < path.size(); i += 200) path[i] = '/';
  Error error = refused(TarBuilder().file(path, "x").finish());
  EXPECT_EQ(error.code(), Errc::Corrupt);
  EXPECT_NE(error.to_string().find("longer than the limit"), std::string::npos)
      << error.to_string();
}

TEST_F(LayerUnpack, RefusesInputThatIsNotATar) {
  Error error = refused(std::string(4096, 'g'));
  EXPECT_EQ(error.code(), Errc::Corrupt);
  EXPECT_NE(error.to_string().find("layer sha256:test"), std::string::npos);
  EXPECT_EQ(refused("").code(), Errc::Corrupt);
  EXPECT_EQ(refused(testing::gzip(std::string(4096, 'g'))).code(), Errc::Corrupt);
}

TEST_F(LayerUnpack, RefusesTruncatedTar) {
  std::string tar = TarBuilder().file("big", std::string(100000, 'b')).finish();
  Error error = refused(tar.substr(0, 50000));
  EXPECT_EQ(error.code(), Errc::Corrupt) << error.to_string();
  EXPECT_NE(error.to_string().find("entry \"big\""), std::string::npos) << error.to_string();
}

}  // namespace
}  // namespace quai::image
