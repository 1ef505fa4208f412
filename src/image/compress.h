#pragma once
// Layer blobs compressed for a registry: a stored (uncompressed) blob becomes a gzip or zstd
// blob of the same store, streamed, never held whole.

#include "base/result.h"
#include "image/blob_store.h"
#include "image/layer.h"

namespace quai::image {

/// Compresses the stored blob `source` into a new blob of `blobs`: gzip at level 1 (pushes
/// are bound by it, and level 6 saves a few percent for three times the time), through
/// ISA-L when installed, else zlib; zstd at level 3.
Result<StoredBlob> compress_blob(BlobStore& blobs, const Digest& source, Compression how);

}  // namespace quai::image
