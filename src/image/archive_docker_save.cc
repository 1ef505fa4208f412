// Writes Docker's `docker save` layout: <config-hex>.json, <diff-id-hex>/layer.tar with
// every layer uncompressed (as `docker load` of old Docker versions requires), then
// manifest.json and the legacy repositories file.

#include <set>

#include "base/json.h"
#include "base/sha256.h"
#include "image/internal/archive_layouts.h"
#include "image/internal/stream_decompress.h"
#include "image/reference.h"

namespace quai::image::internal {
namespace {

bool is_uncompressed(std::string_view type) {
  return type == media_type::kDockerLayer || type == media_type::kOciLayer;
}

// A compressed layer is read twice: once to learn its plain size (which the tar header
// needs first) and check it against the diff_id, once to copy. Nothing is held in memory.
Status write_decompressed(const BlobStore& blobs, const Descriptor& layer, const Digest& diff_id,
                          const std::string& name, TarWriter& tar) {
  uint64_t size = 0;
  Sha256 hash;
  sys::UniqueFd first = TRY(blobs.open_blob(layer.digest));
  TRY_CTX(decompress_stream(first.get(),
                            [&](std::string_view chunk) {
                              size += chunk.size();
                              hash.update(chunk);
                              return ok();
                            }),
          "layer {}", layer.digest.str());
  if (hash.finish_hex() != diff_id.hex()) {
    return fail(Errc::Corrupt, "layer {}: its content does not match the diff_id {}",
                layer.digest.str(), diff_id.str());
  }
  TRY(tar.begin_file(name, size));
  sys::UniqueFd second = TRY(blobs.open_blob(layer.digest));
  TRY_CTX(decompress_stream(second.get(), [&](std::string_view chunk) { return tar.write(chunk); }),
          "layer {}", layer.digest.str());
  return ok();
}

Status write_layer(const BlobStore& blobs, const Descriptor& layer, const Digest& diff_id,
                   const std::string& name, TarWriter& tar) {
  if (!is_uncompressed(layer.media_type))
    return write_decompressed(blobs, layer, diff_id, name, tar);
  if (layer.digest != diff_id) {
    return fail(Errc::Corrupt, "layer {} is uncompressed but differs from its diff_id {}",
                layer.digest.str(), diff_id.str());
  }
  return write_blob(blobs, layer.digest, name, tar);
}

// RepoTags hold Docker's short form ("busybox:latest"); references without a tag cannot be
// a RepoTag and are left out.
Json repo_tags(const ArchiveImage& image, Json& repositories, const std::string& top_layer) {
  Json tags = Json::array();
  for (const auto& name : image.names) {
    auto ref = parse_reference(name);
    if (!ref || ref->tag.empty() || ref->digest) continue;
    tags.push_back(ref->familiar_name() + ":" + ref->tag);
    if (!top_layer.empty()) repositories[ref->familiar_name()][ref->tag] = top_layer;
  }
  return tags;
}

Result<Json> save_image(const ArchiveImage& image, const BlobStore& blobs, TarWriter& tar,
                        std::set<std::string>& written, Json& repositories) {
  ImageParts parts = TRY(read_image_parts(blobs, image.manifest));
  std::string config_name = parts.manifest.config.digest.hex() + ".json";
  if (written.insert(config_name).second) TRY(tar.add_file(config_name, parts.config_text));
  Json layers = Json::array();
  std::string top;
  for (size_t i = 0; i < parts.manifest.layers.size(); ++i) {
    top = parts.config.diff_ids[i].hex();
    std::string name = top + "/layer.tar";
    layers.push_back(name);
    if (!written.insert(name).second) continue;
    TRY(tar.add_directory(top));
    TRY_CTX(write_layer(blobs, parts.manifest.layers[i], parts.config.diff_ids[i], name, tar),
            "image {}: layers[{}]", image.manifest.str(), i);
  }
  return Json{{"Config", config_name},
              {"RepoTags", repo_tags(image, repositories, top)},
              {"Layers", layers}};
}

}  // namespace

Status save_docker_layout(const std::vector<ArchiveImage>& images, const BlobStore& blobs,
                          TarWriter& tar) {
  Json manifest = Json::array();
  Json repositories = Json::object();
  std::set<std::string> written;
  for (const auto& image : images)
    manifest.push_back(TRY(save_image(image, blobs, tar, written, repositories)));
  TRY(tar.add_file("manifest.json", manifest.dump()));
  return tar.add_file("repositories", repositories.dump());
}

}  // namespace quai::image::internal
