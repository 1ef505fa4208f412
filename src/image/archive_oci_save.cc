// Writes an OCI image layout: oci-layout, blobs/sha256/<hex>, and index.json with one entry
// per name. Docker v2 schema 2 manifests become OCI manifests on the way (the config and
// layers keep their bytes), since OCI tools expect OCI media types in an OCI layout.

#include <set>

#include "base/json.h"
#include "image/internal/archive_layouts.h"
#include "image/reference.h"

namespace quai::image::internal {
namespace {

struct OciManifest {
  Digest digest;
  std::string text;  // empty when the stored blob is already an OCI manifest
  uint64_t size = 0;
};

Json descriptor_json(std::string_view type, const Digest& digest, int64_t size) {
  return Json{{"mediaType", type}, {"digest", digest.str()}, {"size", size}};
}

Result<OciManifest> oci_manifest(const BlobStore& blobs, const Digest& digest,
                                 const Manifest& manifest) {
  if (manifest.media_type == media_type::kOciManifest) {
    uint64_t size = TRY(blobs.size(digest));
    return OciManifest{digest, "", size};
  }
  Json doc = {{"schemaVersion", 2},
              {"mediaType", media_type::kOciManifest},
              {"config", descriptor_json(media_type::kOciConfig, manifest.config.digest,
                                         manifest.config.size)},
              {"layers", Json::array()}};
  for (const auto& layer : manifest.layers) {
    doc["layers"].push_back(
        descriptor_json(TRY(oci_layer_media_type(layer.media_type)), layer.digest, layer.size));
  }
  std::string text = doc.dump();
  return OciManifest{Digest::of(text), text, text.size()};
}

Json index_entry(const OciManifest& manifest, const ImageConfig& config, const std::string* name) {
  Json entry = descriptor_json(media_type::kOciManifest, manifest.digest,
                               static_cast<int64_t>(manifest.size));
  entry["platform"] = {{"architecture", config.architecture}, {"os", config.os}};
  // podman reads io.containerd.image.name first; skopeo matches ref.name. Both get the
  // whole reference, which podman and skopeo's oci-archive also write.
  if (name != nullptr) {
    entry["annotations"] = {{"io.containerd.image.name", *name},
                            {"org.opencontainers.image.ref.name", *name}};
  }
  return entry;
}

class OciSaver {
 public:
  OciSaver(const BlobStore& blobs, TarWriter& tar) : blobs_(blobs), tar_(tar) {}

  Status save(const ArchiveImage& image, Json& entries) {
    ImageParts parts = TRY(read_image_parts(blobs_, image.manifest));
    OciManifest manifest = TRY(oci_manifest(blobs_, image.manifest, parts.manifest));
    TRY(add_stored(parts.manifest.config.digest));
    for (const auto& layer : parts.manifest.layers) TRY(add_stored(layer.digest));
    if (manifest.text.empty()) {
      TRY(add_stored(manifest.digest));
    } else if (written_.insert(manifest.digest.hex()).second) {
      TRY(tar_.add_file(blob_name(manifest.digest), manifest.text));
    }
    for (const auto& name : image.names)
      entries.push_back(index_entry(manifest, parts.config, &name));
    if (image.names.empty()) entries.push_back(index_entry(manifest, parts.config, nullptr));
    return ok();
  }

 private:
  static std::string blob_name(const Digest& digest) { return "blobs/sha256/" + digest.hex(); }
  Status add_stored(const Digest& digest) {
    if (!written_.insert(digest.hex()).second) return ok();
    return write_blob(blobs_, digest, blob_name(digest), tar_);
  }

  const BlobStore& blobs_;
  TarWriter& tar_;
  std::set<std::string> written_;
};

}  // namespace

Status save_oci_layout(const std::vector<ArchiveImage>& images, const BlobStore& blobs,
                       TarWriter& tar) {
  TRY(tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  TRY(tar.add_directory("blobs"));
  TRY(tar.add_directory("blobs/sha256"));
  OciSaver saver(blobs, tar);
  Json entries = Json::array();
  for (const auto& image : images)
    TRY_CTX(saver.save(image, entries), "image {}", image.manifest.str());
  Json index = {{"schemaVersion", 2}, {"mediaType", media_type::kOciIndex}, {"manifests", entries}};
  return tar.add_file("index.json", index.dump());
}

}  // namespace quai::image::internal
