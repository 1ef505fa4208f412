#pragma once
// Streaming decompression of layer blobs (gzip, zstd, or none) for archive import and
// export. Kept apart from the layer unpacker so that the two can be merged later.

#include <functional>
#include <string_view>

#include "base/result.h"

namespace quai::image::internal {

enum class Compression { None, Gzip, Zstd };

using ChunkSink = std::function<Status(std::string_view)>;

/// Reads fd to its end as gzip, zstd or plain data (told apart by their magic numbers, as
/// `docker load` does) and hands the plain bytes to `sink` in order, never holding the whole
/// stream. Returns which compression it found; Corrupt on a damaged stream, and the sink's
/// own error when it refuses a chunk.
Result<Compression> decompress_stream(int fd, const ChunkSink& sink);

}  // namespace quai::image::internal
