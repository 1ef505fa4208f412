#include "image/draft.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/time.h"
#include "image/layer.h"
#include "sys/fd.h"

namespace quai::image {

ImageDraft ImageDraft::scratch() {
  return ImageDraft(Json{{"architecture", "amd64"},
                         {"os", "linux"},
                         {"config", Json::object()},
                         {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array()}}},
                         {"history", Json::array()}});
}

Result<ImageDraft> ImageDraft::from_image(const ImageStore& store, const ImageRecord& image) {
  std::string origin = "config " + image.id.str();
  Json document = TRY(parse_json(TRY(store.config_json(image)), origin));
  if (!document.is_object()) return fail(Errc::Corrupt, "{}: not a JSON object", origin);
  if (!document.contains("config") || !document["config"].is_object())
    document["config"] = Json::object();
  if (!document.contains("history") || !document["history"].is_array())
    document["history"] = Json::array();
  ImageDraft draft(std::move(document));
  draft.layers_ = TRY(store.manifest(image)).layers;
  // The manifest and the config agree on the layers: the store checked it when it took the
  // image; the config's list is rewritten from ours at each layer added.
  draft.document_["rootfs"] = {{"type", "layers"}, {"diff_ids", Json::array()}};
  for (const auto& diff_id : TRY(store.config(image)).diff_ids)
    draft.document_["rootfs"]["diff_ids"].push_back(diff_id.str());
  return draft;
}

std::vector<Digest> ImageDraft::diff_ids() const {
  std::vector<Digest> out;
  for (const auto& text : document_.at("rootfs").at("diff_ids")) {
    if (auto digest = Digest::parse(text.get<std::string>())) out.push_back(*digest);
  }
  return out;
}

void ImageDraft::add_history(std::string_view created_by, bool empty_layer) {
  // The image is as new as its last step (a cached step keeps its time, so a rebuild from
  // the cache gives the same image id).
  document_["created"] = rfc3339_now();
  Json entry{{"created", document_["created"]}, {"created_by", created_by}};
  if (empty_layer) entry["empty_layer"] = true;
  document_["history"].push_back(std::move(entry));
}

void ImageDraft::add_empty_layer_history(std::string_view created_by) {
  add_history(created_by, true);
}

Result<LayerInfo> ImageDraft::add_layer(ImageStore& store, int dir_fd,
                                        std::string_view created_by) {
  auto work = TRY(store.temp().make("layer"));
  std::string tar_path = work.path() + "/layer.tar";
  sys::UniqueFd tar(::open(tar_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!tar) return fail_errno(errno, "create \"{}\"", tar_path);
  Digest diff_id = TRY_CTX(pack_layer(dir_fd, tar.get(), created_by), "pack the layer");
  if (::lseek(tar.get(), 0, SEEK_SET) != 0) return fail_errno(errno, "seek \"{}\"", tar_path);
  // Uncompressed, the blob is the tar itself: its digest is the diff_id.
  Digest blob = TRY_CTX(store.blobs().ingest(tar.get(), diff_id), "store the layer");
  Descriptor layer{std::string(media_type::kOciLayer), blob, 0, {}, {}};
  layer.size = static_cast<int64_t>(TRY(store.blobs().size(blob)));
  auto info = TRY(store.ensure_layer(layer, diff_id));
  layers_.push_back(std::move(layer));
  document_["rootfs"]["diff_ids"].push_back(diff_id.str());
  add_history(created_by, false);
  return info;
}

Result<ImageRecord> ImageDraft::write(ImageStore& store) {
  if (!document_.contains("created")) document_["created"] = rfc3339_now();
  std::string config_text = document_.dump();
  Digest config = TRY(store.blobs().put(config_text));
  Json layers = Json::array();
  for (const auto& layer : layers_) {
    // A parent from a Docker archive has Docker's layer types; the manifest is OCI's.
    layers.push_back({{"mediaType", TRY(oci_layer_media_type(layer.media_type))},
                      {"digest", layer.digest.str()},
                      {"size", layer.size}});
  }
  Json manifest{{"schemaVersion", 2},
                {"mediaType", media_type::kOciManifest},
                {"config",
                 {{"mediaType", media_type::kOciConfig},
                  {"digest", config.str()},
                  {"size", config_text.size()}}},
                {"layers", std::move(layers)}};
  Digest manifest_digest = TRY(store.blobs().put(manifest.dump()));
  return ImageRecord{config, manifest_digest, {}, {}};
}

Result<ImageRecord> ImageDraft::commit(ImageStore& store, const std::vector<std::string>& names) {
  auto written = TRY(write(store));
  return store.add(written.manifest, names);
}

}  // namespace quai::image
