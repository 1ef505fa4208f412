// save_archive, and what both layouts' writers share.

#include "base/sha256.h"
#include "image/archive.h"
#include "image/internal/archive_layouts.h"

namespace quai::image {
namespace internal {

Result<ImageParts> read_image_parts(const BlobStore& blobs, const Digest& manifest_digest) {
  std::string origin = "manifest " + manifest_digest.str();
  std::string text = TRY(blobs.read(manifest_digest));
  Manifest manifest = TRY(parse_manifest(text, origin));
  std::string config_text = TRY_CTX(blobs.read(manifest.config.digest), "{}: config", origin);
  ImageConfig config =
      TRY(parse_image_config(config_text, "config " + manifest.config.digest.str()));
  if (config.diff_ids.size() != manifest.layers.size()) {
    return fail(Errc::Corrupt, "{}: {} layers, but its config has {} rootfs.diff_ids", origin,
                manifest.layers.size(), config.diff_ids.size());
  }
  return ImageParts{std::move(manifest), std::move(config_text), std::move(config)};
}

Status write_blob(const BlobStore& blobs, const Digest& digest, const std::string& name,
                  TarWriter& tar) {
  sys::UniqueFd fd = TRY(blobs.open_blob(digest));
  uint64_t size = TRY(blobs.size(digest));
  TRY(tar.begin_file(name, size));
  Sha256 hash;
  char buffer[1 << 16];
  uint64_t copied = 0;
  while (copied < size) {
    ssize_t n = ::read(fd.get(), buffer, std::min<uint64_t>(sizeof buffer, size - copied));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read blob {}", digest.str());
    if (n == 0) return fail(Errc::Corrupt, "blob {}: shorter than {} bytes", digest.str(), size);
    std::string_view chunk(buffer, static_cast<size_t>(n));
    hash.update(chunk);
    TRY(tar.write(chunk));
    copied += static_cast<uint64_t>(n);
  }
  if (hash.finish_hex() != digest.hex())
    return fail(Errc::Corrupt, "blob {}: content does not match its digest", digest.str());
  return ok();
}

}  // namespace internal

Status save_archive(ArchiveFormat format, const std::vector<ArchiveImage>& images,
                    const BlobStore& blobs, int out_fd) {
  internal::TarWriter tar = TRY(internal::TarWriter::open(out_fd));
  if (format == ArchiveFormat::DockerArchive) {
    TRY_CTX(internal::save_docker_layout(images, blobs, tar), "save docker-archive");
  } else {
    TRY_CTX(internal::save_oci_layout(images, blobs, tar), "save oci-archive");
  }
  return tar.finish();
}

}  // namespace quai::image
