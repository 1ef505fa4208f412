#pragma once
// Reading from a registry with every byte checked: manifests against the digest the
// reference or the registry names, blobs against their descriptor's digest and size.

#include <optional>
#include <string>

#include "base/result.h"
#include "image/blob_store.h"
#include "image/manifest.h"
#include "registry/client/session.h"

namespace quai::registry::client {

struct FetchedManifest {
  std::string content;
  std::string media_type;
  image::Digest digest = image::Digest::of_nothing();
};

/// GETs a manifest or index by tag or digest. Corrupt when its digest differs from the
/// reference's, or (by tag) from the Docker-Content-Digest the registry sent.
Result<FetchedManifest> fetch_manifest(Session& session, const std::string& repo,
                                       const std::string& reference,
                                       const std::optional<image::Digest>& expected);

/// Streams a blob into `writer` and `also` (when given: an unpacker's pipe), resuming with
/// Range requests after a broken transfer; commits the writer only when digest and size
/// match the descriptor.
Result<image::StoredBlob> fetch_blob(Session& session, const std::string& repo,
                                     const image::Descriptor& blob, image::BlobWriter writer,
                                     const std::function<Status(std::string_view)>& also = {});

}  // namespace quai::registry::client
