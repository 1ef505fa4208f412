#pragma once
// Layer blobs compressed for a registry: a stored (uncompressed) blob becomes a gzip or zstd
// blob of the same store, streamed, never held whole.

#include <functional>
#include <string_view>

#include "base/result.h"
#include "image/blob_store.h"
#include "image/layer.h"

namespace quai::image {

using ChunkSink = std::function<Status(std::string_view chunk)>;

/// Where a compressed blob also goes while it is made: each chunk, then its digest and size
/// as soon as the last chunk is out, before the blob is synced.
struct CompressionTee {
  ChunkSink chunk;
  std::function<void(const Digest& digest, uint64_t size)> end;
};

/// Compresses what `fd` holds, to its end, into `out` in chunks.
Status compress_stream(int fd, Compression how, const ChunkSink& out);

/// Compresses the stored blob `source` into a new blob of `blobs`: gzip at level 1 (pushes
/// are bound by it, and level 6 saves a few percent for three times the time), through
/// ISA-L when installed, else zlib; zstd at level 3.
/// With `tee`, the blob is also streamed there.
Result<StoredBlob> compress_blob(BlobStore& blobs, const Digest& source, Compression how,
                                 const CompressionTee* tee = nullptr);

}  // namespace quai::image
