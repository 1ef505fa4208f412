#include "image/manifest.h"

#include "base/json.h"

namespace quai::image {
namespace {

Result<Json> parse_document(std::string_view text, std::string_view origin) {
  if (text.size() > kMaxDocumentSize) {
    return fail(Errc::InvalidArgument, "{}: {} bytes is larger than the {} allowed", origin,
                text.size(), kMaxDocumentSize);
  }
  Json doc = TRY(parse_json(text, origin));
  if (!doc.is_object()) return fail(Errc::InvalidArgument, "{}: expected a JSON object", origin);
  return doc;
}

Status check_schema_version(const JsonReader& r) {
  int64_t version = TRY(r.int64("schemaVersion"));
  if (version != 2)
    return fail(r.error("schemaVersion", fmt::format("{} is not supported (2 is)", version)));
  return ok();
}

Result<Descriptor> parse_descriptor(const JsonReader& r) {
  TRY(r.expect_object());
  Descriptor d;
  d.media_type = TRY(r.string("mediaType"));
  d.digest = TRY_CTX(Digest::parse(TRY(r.string("digest"))), "{}", r.child_path("digest"));
  d.size = TRY(r.int64("size"));
  if (d.size < 0) return fail(r.error("size", "must not be negative"));
  if (r.has("platform")) {
    auto p = TRY(r.object("platform"));
    Platform platform;
    platform.architecture = TRY(p.string("architecture"));
    platform.os = TRY(p.string("os"));
    platform.variant = TRY(p.optional_string("variant")).value_or("");
    d.platform = std::move(platform);
  }
  d.annotations = TRY(r.string_map("annotations"));
  return d;
}

Result<std::vector<Descriptor>> parse_descriptors(const JsonReader& r, std::string_view key) {
  std::vector<Descriptor> out;
  for (const auto& item : TRY(r.array(key))) out.push_back(TRY(parse_descriptor(item)));
  return out;
}

Result<Manifest> read_manifest(const JsonReader& r) {
  TRY(check_schema_version(r));
  Manifest m;
  m.media_type =
      TRY(r.optional_string("mediaType")).value_or(std::string(media_type::kOciManifest));
  if (m.media_type != media_type::kOciManifest && m.media_type != media_type::kDockerManifest) {
    return fail(r.error("mediaType", fmt::format("\"{}\" is not an image manifest", m.media_type)));
  }
  m.config = TRY(parse_descriptor(TRY(r.object("config"))));
  m.layers = TRY(parse_descriptors(r, "layers"));
  m.annotations = TRY(r.string_map("annotations"));
  return m;
}

Result<Index> read_index(const JsonReader& r) {
  TRY(check_schema_version(r));
  Index index;
  index.media_type =
      TRY(r.optional_string("mediaType")).value_or(std::string(media_type::kOciIndex));
  if (index.media_type != media_type::kOciIndex &&
      index.media_type != media_type::kDockerManifestList) {
    return fail(
        r.error("mediaType", fmt::format("\"{}\" is not an image index", index.media_type)));
  }
  index.manifests = TRY(parse_descriptors(r, "manifests"));
  index.annotations = TRY(r.string_map("annotations"));
  return index;
}

// Docker writes maps of empty objects for sets: {"80/tcp": {}}.
Result<std::vector<std::string>> set_keys(const JsonReader& r, std::string_view key) {
  std::vector<std::string> out;
  if (!r.has(key)) return out;
  auto object = TRY(r.object(key));
  for (const auto& [name, value] : object.value().items()) out.push_back(name);
  return out;
}

Result<ContainerConfig> read_container_config(const JsonReader& r) {
  ContainerConfig c;
  c.user = TRY(r.optional_string("User")).value_or("");
  c.env = TRY(r.strings("Env"));
  for (size_t i = 0; i < c.env.size(); ++i) {
    if (c.env[i].empty() || c.env[i][0] == '=') {
      return fail(r.error(fmt::format("Env[{}]", i), "expected NAME=value"));
    }
  }
  c.entrypoint = TRY(r.strings("Entrypoint"));
  c.cmd = TRY(r.strings("Cmd"));
  c.working_dir = TRY(r.optional_string("WorkingDir")).value_or("");
  c.exposed_ports = TRY(set_keys(r, "ExposedPorts"));
  c.volumes = TRY(set_keys(r, "Volumes"));
  c.labels = TRY(r.string_map("Labels"));
  c.stop_signal = TRY(r.optional_string("StopSignal")).value_or("");
  return c;
}

Result<ImageConfig> read_image_config(const JsonReader& r) {
  ImageConfig config;
  config.architecture = TRY(r.string("architecture"));
  config.os = TRY(r.string("os"));
  config.created = TRY(r.optional_string("created")).value_or("");
  config.author = TRY(r.optional_string("author")).value_or("");
  if (r.has("config")) config.config = TRY(read_container_config(TRY(r.object("config"))));
  auto rootfs = TRY(r.object("rootfs"));
  if (TRY(rootfs.string("type")) != "layers")
    return fail(rootfs.error("type", "must be \"layers\""));
  auto diff_ids = TRY(rootfs.strings("diff_ids"));
  for (size_t i = 0; i < diff_ids.size(); ++i) {
    config.diff_ids.push_back(TRY_CTX(Digest::parse(diff_ids[i]), "rootfs.diff_ids[{}]", i));
  }
  for (const auto& item : TRY(r.array("history"))) {
    HistoryEntry entry;
    entry.created = TRY(item.optional_string("created")).value_or("");
    entry.created_by = TRY(item.optional_string("created_by")).value_or("");
    entry.comment = TRY(item.optional_string("comment")).value_or("");
    entry.empty_layer = TRY(item.boolean("empty_layer", false));
    config.history.push_back(std::move(entry));
  }
  return config;
}

}  // namespace

Result<Manifest> parse_manifest(std::string_view text, std::string_view origin) {
  Json doc = TRY(parse_document(text, origin));
  return with_context(read_manifest(JsonReader(doc, "")), "{}", origin);
}

Result<Index> parse_index(std::string_view text, std::string_view origin) {
  Json doc = TRY(parse_document(text, origin));
  return with_context(read_index(JsonReader(doc, "")), "{}", origin);
}

Result<ImageConfig> parse_image_config(std::string_view text, std::string_view origin) {
  Json doc = TRY(parse_document(text, origin));
  return with_context(read_image_config(JsonReader(doc, "")), "{}", origin);
}

bool is_layer_media_type(std::string_view type) {
  for (std::string_view known :
       {media_type::kOciLayer, media_type::kOciLayerGzip, media_type::kOciLayerZstd,
        media_type::kDockerLayer, media_type::kDockerLayerGzip}) {
    if (type == known) return true;
  }
  return false;
}

Result<std::string_view> oci_layer_media_type(std::string_view type) {
  if (type == media_type::kDockerLayer) return media_type::kOciLayer;
  if (type == media_type::kDockerLayerGzip) return media_type::kOciLayerGzip;
  if (is_layer_media_type(type)) return type;
  return fail(Errc::Unsupported, "layer media type \"{}\" has no OCI equivalent", type);
}

}  // namespace quai::image
