#pragma once
// Plain bytes out of a possibly compressed layer stream, read piece by piece from an fd.

#include <memory>
#include <span>
#include <string>

#include "base/result.h"
#include "image/layer.h"

namespace quai::image::internal {

/// A stream of uncompressed bytes. Not thread-safe; one reader at a time.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  /// Fills `out` as far as the stream allows; 0 only at the end. A stream that ends early
  /// (truncated gzip or zstd) or holds bytes after its end is Corrupt.
  virtual Result<size_t> read(std::span<char> out) = 0;
};

/// Reads the first bytes of `fd`, detects the compression and returns the matching source.
/// `fd` must stay open while the source is used.
Result<std::unique_ptr<ByteSource>> open_decompressed(int fd);

}  // namespace quai::image::internal
