#pragma once
// A tar written to an fd with deterministic headers (mtime 0, uid/gid 0, fixed modes), so
// that saving the same images twice gives the same bytes. Move-only; not thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "image/internal/libarchive_handle.h"

namespace quai::image::internal {

class TarWriter {
 public:
  /// Starts a POSIX (pax, ustar where it suffices) tar on fd; the caller keeps fd open.
  static Result<TarWriter> open(int fd);

  Status add_directory(const std::string& name);
  Status add_file(const std::string& name, std::string_view data);
  /// Starts a file of exactly `size` bytes, to be given through write().
  Status begin_file(const std::string& name, uint64_t size);
  Status write(std::string_view data);
  /// Ends the archive (the end-of-archive blocks); nothing may be added after.
  Status finish();

 private:
  explicit TarWriter(ArchiveWriter writer) : writer_(std::move(writer)) {}
  Status write_header(const std::string& name, unsigned type, uint64_t size);

  ArchiveWriter writer_;
  std::string current_;  // the file being written
  uint64_t remaining_ = 0;
};

}  // namespace quai::image::internal
