#pragma once
// Image archives as `docker save` / `docker load` and `podman save --format oci-archive`
// exchange them: a tar (optionally gzip or zstd compressed) holding either Docker's
// manifest.json layout or an OCI image layout. Loading streams every member into a
// BlobStore; saving streams blobs out of one. Neither holds a layer in memory.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "image/blob_store.h"
#include "image/digest.h"
#include "image/manifest.h"

namespace quai::image {

enum class ArchiveFormat { DockerArchive, OciArchive };

struct ArchiveImage {
  Digest manifest;                 // a manifest blob in the store (OCI or Docker v2 schema 2)
  std::vector<std::string> names;  // full normalised references, "docker.io/library/busybox:latest"
};

struct LoadedArchive {
  ArchiveFormat format = ArchiveFormat::DockerArchive;
  std::vector<ArchiveImage> images;
};

struct LoadOptions {
  /// The platform picked from an oci-archive's image indexes.
  Platform platform = {"amd64", "linux", ""};
  /// An oci-archive may name an image by a bare tag (org.opencontainers.image.ref.name
  /// "latest"); with a repository here ("docker.io/library/app") that becomes a name,
  /// without one such an image is loaded unnamed.
  std::string tag_repository;
};

/// Most members an archive may hold: a bound on the work a hostile archive can cause.
inline constexpr size_t kMaxArchiveMembers = 100000;

/// Reads a docker-archive or an oci-archive from fd (the format is detected: manifest.json
/// means docker-archive, which Docker 25's newer layout also carries, index.json alone
/// means oci-archive), storing every config, layer and manifest in `blobs`, verified. For a
/// docker-archive a Docker v2 schema 2 manifest is made and stored, and each layer is
/// checked against the config's rootfs.diff_ids. Blobs this load created that no returned
/// image uses are removed again; a failed load removes all it created.
/// Errors name `origin` and the member: Corrupt (bytes that do not match their name or
/// diff_id, a missing blob, a broken tar), InvalidArgument (unsafe member names, bad
/// documents, neither layout), Unsupported (other digest algorithms).
Result<LoadedArchive> load_archive(int fd, BlobStore& blobs, std::string_view origin,
                                   const LoadOptions& options = {});

/// Writes the images to out_fd in `format`, deterministically (mtime 0, uid/gid 0).
/// docker-archive: <config-hex>.json, <diff-id-hex>/layer.tar (layers decompressed, checked
/// against rootfs.diff_ids), manifest.json and repositories. oci-archive: oci-layout,
/// blobs/sha256/* (Docker manifests converted to OCI ones) and index.json with one entry per
/// name, annotated with org.opencontainers.image.ref.name and io.containerd.image.name.
/// The caller owns out_fd (temp file + rename). Corrupt when a blob no longer matches its
/// digest; NotFound when one is missing.
Status save_archive(ArchiveFormat format, const std::vector<ArchiveImage>& images,
                    const BlobStore& blobs, int out_fd);

}  // namespace quai::image
