// Docker's `docker save` layout: manifest.json lists each image's config and layer tars
// by member name (old layout: <id>/layer.tar; Docker 25: blobs/sha256/<hex>, with the old
// names as symlinks). A Docker v2 schema 2 manifest is made for each image.

#include "base/json.h"
#include "base/sha256.h"
#include "image/internal/archive_layouts.h"
#include "image/internal/stream_decompress.h"
#include "image/reference.h"

namespace quai::image::internal {
namespace {

Json descriptor_json(std::string_view media_type, const Digest& digest, uint64_t size) {
  return Json{{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
}

// `docker load` also takes compressed layer tars; the diff_id is then that of the content.
Result<std::string_view> media_type_of_layer(BlobStore& blobs, const StoredBlob& blob,
                                             const Digest& diff_id) {
  if (blob.digest == diff_id) return media_type::kDockerLayer;
  sys::UniqueFd fd = TRY(blobs.open_blob(blob.digest));
  Sha256 hash;
  Compression compression = TRY(decompress_stream(fd.get(), [&](std::string_view chunk) {
    hash.update(chunk);
    return ok();
  }));
  std::string content = "sha256:" + hash.finish_hex();
  if (compression == Compression::None || content != diff_id.str()) {
    return fail(Errc::Corrupt, "content is {}, but the config's diff_id is {}",
                compression == Compression::None ? blob.digest.str() : content, diff_id.str());
  }
  // Docker's schema 2 has no zstd layer type; Docker and containerd accept OCI's.
  return compression == Compression::Gzip ? media_type::kDockerLayerGzip
                                          : media_type::kOciLayerZstd;
}

Result<Json> layer_descriptor(ArchiveContents& contents, const std::string& raw_name,
                              const Digest& diff_id) {
  std::string name = TRY(clean_member_name(raw_name));
  StoredBlob blob = TRY(contents.resolve(name));
  auto type = TRY_CTX(media_type_of_layer(contents.blobs(), blob, diff_id), "member \"{}\"", name);
  contents.keep(blob.digest);
  return descriptor_json(type, blob.digest, blob.size);
}

Result<std::vector<std::string>> names_of(const JsonReader& entry) {
  std::vector<std::string> names;
  auto tags = TRY(entry.strings("RepoTags"));
  for (size_t i = 0; i < tags.size(); ++i) {
    Reference ref =
        TRY_CTX(parse_reference(tags[i]), "{}", entry.child_path(fmt::format("RepoTags[{}]", i)));
    names.push_back(ref.with_default_tag().str());
  }
  return names;
}

Result<ArchiveImage> load_image(ArchiveContents& contents, const JsonReader& entry) {
  TRY(entry.expect_object());
  std::string config_name = TRY(clean_member_name(TRY(entry.string("Config"))));
  StoredBlob config_blob = TRY(contents.resolve(config_name));
  ImageConfig config = TRY(
      parse_image_config(TRY(contents.document(config_name)), "member \"" + config_name + "\""));
  auto layers = TRY(entry.strings("Layers"));
  if (layers.size() != config.diff_ids.size()) {
    return fail(Errc::Corrupt, "{} names {} layers, but {} has {} rootfs.diff_ids",
                entry.child_path("Layers"), layers.size(), config_name, config.diff_ids.size());
  }
  Json manifest = {
      {"schemaVersion", 2},
      {"mediaType", media_type::kDockerManifest},
      {"config", descriptor_json(media_type::kDockerConfig, config_blob.digest, config_blob.size)},
      {"layers", Json::array()}};
  for (size_t i = 0; i < layers.size(); ++i) {
    manifest["layers"].push_back(TRY_CTX(layer_descriptor(contents, layers[i], config.diff_ids[i]),
                                         "{}", entry.child_path(fmt::format("Layers[{}]", i))));
  }
  contents.keep(config_blob.digest);
  Digest manifest_digest = TRY(contents.put(manifest.dump()));
  contents.keep(manifest_digest);
  auto names = TRY(names_of(entry));
  return ArchiveImage{manifest_digest, std::move(names)};
}

}  // namespace

Result<std::vector<ArchiveImage>> load_docker_layout(ArchiveContents& contents) {
  Json doc = TRY(parse_json(TRY(contents.document("manifest.json")), "manifest.json"));
  if (!doc.is_array()) return fail(Errc::InvalidArgument, "manifest.json: expected an array");
  std::vector<ArchiveImage> images;
  for (size_t i = 0; i < doc.size(); ++i) {
    JsonReader entry(doc[i], fmt::format("[{}]", i));
    images.push_back(TRY_CTX(load_image(contents, entry), "manifest.json"));
  }
  return images;
}

}  // namespace quai::image::internal
