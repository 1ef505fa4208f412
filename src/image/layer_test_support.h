#pragma once
// Test helpers for layers: tarballs built in memory, compression, memfds and a snapshot of
// a directory tree to prove that nothing outside a layer changed.

#include <sys/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

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

}  // namespace quai::image::testing
