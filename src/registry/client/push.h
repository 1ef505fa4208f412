#pragma once
// `quai push`: blobs the registry lacks (HEAD first), mounted from another repository of
// the same registry when the image came from there, else uploaded (one PUT, or PATCH
// chunks); an uncompressed layer is compressed (gzip or zstd) while it is uploaded, and the
// compressed blob is kept, so a second push does not compress again; then the manifest.

#include <string>

#include "base/result.h"
#include "image/image_store.h"
#include "image/layer.h"
#include "registry/client/pull.h"
#include "registry/client/settings.h"

namespace quai::registry::client {

struct PushOptions {
  image::Compression compression = image::Compression::Gzip;
  uint64_t chunk_size = 0;  // 0: each blob in one request
  ByteProgress progress;    // bytes of each layer sent (total 0: not known yet); may be empty
};

struct PushResult {
  std::string name;
  image::Digest digest = image::Digest::of_nothing();
  size_t size = 0;
};

Result<PushResult> push(image::ImageStore& store, const std::string& reference,
                        const PushOptions& options, const ClientSettings& settings,
                        const Reporter& report);

}  // namespace quai::registry::client
