#pragma once
// Tar entries out of a PlainStream, parsed by libarchive (ustar, pax, GNU), with limits on
// what one header may hold. libarchive only parses here: the file system is written by
// LayerWriter, which keeps every path inside the layer.

#include <sys/types.h>
#include <time.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "image/internal/plain_stream.h"

struct archive;

namespace quai::image::internal {

/// What LayerWriter needs of one tar header, copied out of libarchive.
struct TarEntry {
  std::string path;
  std::string link_target;  // symlink target, or the hard link's target path
  bool is_hard_link = false;
  mode_t mode = 0;  // file type and permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  dev_t rdev = 0;
  int64_t size = 0;
  struct timespec atime = {};
  struct timespec mtime = {};
  std::vector<std::pair<std::string, std::string>> xattrs;
};

/// A piece of the current entry's data at `offset` (sparse files skip ranges).
struct DataBlock {
  int64_t offset = 0;
  std::string_view bytes;
};

/// Single-threaded; reads the stream it was given, which must outlive it.
class TarReader {
 public:
  /// Not movable: libarchive holds its address for the read callback.
  static Result<std::unique_ptr<TarReader>> open(PlainStream& stream);
  ~TarReader();
  TarReader(const TarReader&) = delete;
  TarReader& operator=(const TarReader&) = delete;

  /// The next header, or nullopt at the end of the archive. Corrupt when the tar is
  /// malformed or a header exceeds the limits.
  Result<std::optional<TarEntry>> next();
  /// The current entry's data, block by block; nullopt after the last one.
  Result<std::optional<DataBlock>> next_block();
  /// After the end of the archive: reads the rest of the stream, which may hold only zeros
  /// (tar pads to its record size), so that no bytes hide in the diff_id unextracted.
  Status finish();

 private:
  explicit TarReader(PlainStream& stream);
  static long read_callback(struct archive* archive, void* self, const void** buffer);
  Error archive_error(std::string_view what) const;

  PlainStream* stream_;
  struct archive* archive_ = nullptr;
  std::string_view last_chunk_;      // what the read callback handed out last
  uint64_t handed_out_ = 0;          // bytes given to libarchive so far
  std::optional<Error> read_error_;  // the stream's error, truer than libarchive's rewording
};

}  // namespace quai::image::internal
