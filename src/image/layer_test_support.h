#pragma once
// Test helpers for layers: tarballs built in memory, compression, memfds and a snapshot of
// a directory tree to prove that nothing outside a layer changed.

#include <sys/types.h>

#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/sha256.h"
#include "image/layer.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image::testing {

struct EntryOptions {
  mode_t mode = 0644;
  uid_t uid = 0;
  gid_t gid = 0;
  time_t mtime = 1700000000;
  std::vector<std::pair<std::string, std::string>> xattrs = {};
};

/// Builds a tar in memory with libarchive's writer (pax), entry by entry.
class TarBuilder {
 public:
  using Options = EntryOptions;

  TarBuilder& file(const std::string& path, const std::string& data, Options options = {});
  TarBuilder& dir(const std::string& path, Options options = {.mode = 0755});
  TarBuilder& symlink(const std::string& path, const std::string& target);
  TarBuilder& hard_link(const std::string& path, const std::string& target);
  TarBuilder& device(const std::string& path, mode_t type, dev_t rdev, Options options = {});
  /// The tar with its end-of-archive blocks.
  std::string finish();

 private:
  void add(const std::string& path, mode_t type, const Options& options,
           const std::string& data = "", const std::string& symlink = "",
           const std::string& hard_link = "", dev_t rdev = 0);
  std::string out_;
};

/// One ustar header block, checksummed, for archives libarchive would refuse to write.
std::string ustar_header(const std::string& name, size_t size, char type);
std::string gzip(const std::string& data);
std::string zstd(const std::string& data);
/// A memfd holding `data`, positioned at its start.
int memfd_with(const std::string& data);

/// Every node below `root` (not following symlinks) with its type, mode, size, content or
/// target; `skip` is a subtree left out (the layer directory itself).
std::map<std::string, std::string> snapshot(const std::string& root, const std::string& skip = "");

// A temp dir holding sentinels next to the layer dir (two levels down, so that escapes of
// one or two ".." would land inside the temp dir and show in the snapshot).
class LayerFixture : public ::testing::Test {
 protected:
  // Unit tests run without root too; then ownership is not applied.
  static UnpackOptions default_options() { return {.rootless = ::geteuid() != 0}; }
  void SetUp() override {
    char templ[] = "/tmp/quai-layer.XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    ASSERT_TRUE(sys::mkdir_p(root_ + "/outer/layer"));
    ASSERT_TRUE(sys::mkdir_p(root_ + "/etc"));
    ASSERT_TRUE(sys::write_file_atomic(root_ + "/sentinel", "keep"));
    ASSERT_TRUE(sys::write_file_atomic(root_ + "/etc/passwd", "root:x:0:0"));
    ASSERT_TRUE(sys::write_file_atomic(root_ + "/outer/x", "outer"));
    layer_ = root_ + "/outer/layer";
    before_ = snapshot(root_, layer_);
  }
  void TearDown() override {
    // Without root, read-only directories from a layer must be opened up to be removed.
    std::string command = "chmod -R u+rwX " + root_;
    ASSERT_EQ(std::system(command.c_str()), 0);
    ASSERT_TRUE(sys::remove_tree(root_));
  }

  Result<UnpackedLayer> unpack(const std::string& data, UnpackOptions options = default_options()) {
    return unpack_into(layer_, data, options);
  }
  static Result<UnpackedLayer> unpack_into(const std::string& dir, const std::string& data,
                                           UnpackOptions options = default_options()) {
    sys::UniqueFd in(memfd_with(data));
    sys::UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    return unpack_layer(in.get(), dir_fd.get(), options, "layer sha256:test");
  }
  std::string packed(const std::string& dir) {
    sys::UniqueFd out(memfd_with(""));
    sys::UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    auto digest = pack_layer(dir_fd.get(), out.get(), "layer test");
    EXPECT_TRUE(digest) << digest.error().to_string();
    ::lseek(out.get(), 0, SEEK_SET);
    std::string tar = sys::read_all(out.get()).value();
    EXPECT_EQ(digest->hex(), sha256_hex(tar));
    return tar;
  }
  struct stat lstat_of(const std::string& path) {
    struct stat st = {};
    EXPECT_EQ(::lstat((layer_ + "/" + path).c_str(), &st), 0) << path;
    return st;
  }
  bool exists(const std::string& path) { return sys::path_exists(layer_ + "/" + path); }
  std::string content(const std::string& path) {
    return sys::read_file(layer_ + "/" + path).value_or("<missing>");
  }
  std::string xattr(const std::string& path, const char* name) {
    char value[256];
    ssize_t n = ::lgetxattr((layer_ + "/" + path).c_str(), name, value, sizeof value);
    return n < 0 ? "<none>" : std::string(value, static_cast<size_t>(n));
  }
  // The error, after checking that nothing outside the layer dir changed.
  Error refused(const std::string& data, UnpackOptions options = default_options()) {
    auto result = unpack(data, options);
    EXPECT_EQ(snapshot(root_, layer_), before_);
    EXPECT_FALSE(result) << "unpacked a hostile layer";
    return result ? Error(Errc::Internal, "no error") : result.error();
  }
  void expect_outside_unchanged() { EXPECT_EQ(snapshot(root_, layer_), before_); }

  std::string root_;
  std::string layer_;
  std::map<std::string, std::string> before_;
};

inline std::string sample_tar() {
  return TarBuilder()
      .dir("etc", {.mode = 0755})
      .file("etc/hostname", "box\n")
      .file("bin/tool", std::string(300000, 'x'), {.mode = 0755})
      .symlink("etc/link", "hostname")
      .finish();
}

}  // namespace quai::image::testing
