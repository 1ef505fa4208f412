#pragma once
// The two layouts an image archive can have, each read from the members a load has
// stored and written through a TarWriter.

#include <vector>

#include "base/result.h"
#include "image/archive.h"
#include "image/internal/archive_contents.h"
#include "image/internal/tar_writer.h"

namespace quai::image::internal {

/// manifest.json (Docker's `docker save` layout, old and new).
Result<std::vector<ArchiveImage>> load_docker_layout(ArchiveContents& contents);
/// index.json + blobs/sha256 (an OCI image layout).
Result<std::vector<ArchiveImage>> load_oci_layout(ArchiveContents& contents,
                                                  const LoadOptions& options);

/// An image as a save needs it: the manifest, the config's bytes and what they say.
struct ImageParts {
  Manifest manifest;
  std::string config_text;
  ImageConfig config;
};
/// Reads and checks an image's manifest and config from the store (NotFound, Corrupt).
Result<ImageParts> read_image_parts(const BlobStore& blobs, const Digest& manifest);
/// Copies a blob into the tar as `name`, checking while it streams that it still has its
/// digest (Corrupt otherwise: the store was changed under us).
Status write_blob(const BlobStore& blobs, const Digest& digest, const std::string& name,
                  TarWriter& tar);

Status save_docker_layout(const std::vector<ArchiveImage>& images, const BlobStore& blobs,
                          TarWriter& tar);
Status save_oci_layout(const std::vector<ArchiveImage>& images, const BlobStore& blobs,
                       TarWriter& tar);

}  // namespace quai::image::internal
