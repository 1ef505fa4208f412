#include "registry/manifest_refs.h"

#include "base/json.h"
#include "image/manifest.h"

namespace quai::registry {
namespace {

Result<image::Digest> descriptor_digest(const JsonReader& descriptor) {
  std::string text = TRY(descriptor.string("digest"));
  return TRY_CTX(image::Digest::parse(text), "{}", descriptor.child_path("digest"));
}

Status read_index_entries(const JsonReader& document, ManifestRefs& refs) {
  for (const JsonReader& entry : TRY(document.array("manifests")))
    refs.manifests.push_back(TRY(descriptor_digest(entry)));
  return ok();
}

Status read_image_blobs(const JsonReader& document, ManifestRefs& refs) {
  JsonReader config = TRY(document.object("config"));
  refs.blobs.push_back(TRY(descriptor_digest(config)));
  if (refs.artifact_type.empty()) refs.artifact_type = TRY(config.string("mediaType"));
  for (const JsonReader& layer : TRY(document.array("layers"))) {
    image::Digest digest = TRY(descriptor_digest(layer));
    // A foreign layer lives at its URLs, not in the registry (image-spec "urls").
    if (!layer.has("urls")) refs.blobs.push_back(digest);
  }
  return ok();
}

}  // namespace

Result<ManifestRefs> read_manifest_refs(std::string_view content) {
  Json json = TRY(parse_json(content, "manifest"));
  JsonReader document(json, "");
  TRY(document.expect_object());
  if (TRY(document.int64("schemaVersion")) != 2)
    return fail(document.error("schemaVersion", "only schema version 2 is supported"));
  ManifestRefs refs;
  refs.media_type = TRY(document.optional_string("mediaType")).value_or("");
  refs.artifact_type = TRY(document.optional_string("artifactType")).value_or("");
  refs.annotations = TRY(document.string_map("annotations"));
  refs.is_index = document.has("manifests") || refs.media_type == image::media_type::kOciIndex ||
                  refs.media_type == image::media_type::kDockerManifestList;
  if (refs.is_index)
    TRY(read_index_entries(document, refs));
  else
    TRY(read_image_blobs(document, refs));
  if (document.has("subject"))
    refs.subject = TRY(descriptor_digest(TRY(document.object("subject"))));
  return refs;
}

}  // namespace quai::registry
