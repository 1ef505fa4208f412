// An OCI image layout in a tar (oci-archive): index.json names manifests, or nested indexes
// from which the wanted platform's manifest is picked; every blob sits under blobs/sha256.

#include "base/json.h"
#include "image/internal/archive_layouts.h"
#include "image/reference.h"

namespace quai::image::internal {
namespace {

constexpr int kMaxIndexDepth = 4;
constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr std::string_view kContainerdNameAnnotation = "io.containerd.image.name";

bool is_manifest_type(std::string_view type) {
  return type == media_type::kOciManifest || type == media_type::kDockerManifest;
}
bool is_index_type(std::string_view type) {
  return type == media_type::kOciIndex || type == media_type::kDockerManifestList;
}

Status check_layout_version(const ArchiveContents& contents) {
  if (!contents.contains("oci-layout")) return ok();  // optional in practice; index.json decides
  Json doc = TRY(parse_json(TRY(contents.document("oci-layout")), "oci-layout"));
  if (!doc.is_object()) return fail(Errc::InvalidArgument, "oci-layout: expected a JSON object");
  std::string version = TRY_CTX(JsonReader(doc, "").string("imageLayoutVersion"), "oci-layout");
  if (!version.starts_with("1."))
    return fail(Errc::Unsupported, "oci-layout: imageLayoutVersion {} is not supported", version);
  return ok();
}

bool matches(const Descriptor& d, const Platform& wanted) {
  return d.platform && d.platform->os == wanted.os &&
         d.platform->architecture == wanted.architecture &&
         (wanted.variant.empty() || d.platform->variant == wanted.variant);
}

Result<Digest> select_manifest(ArchiveContents& contents, const Descriptor& d,
                               const Platform& platform, int depth) {
  StoredBlob blob = TRY(contents.layout_blob(d));
  if (is_manifest_type(d.media_type)) return blob.digest;
  if (!is_index_type(d.media_type))
    return fail(Errc::Unsupported, "media type \"{}\" is not a manifest or an index", d.media_type);
  if (depth >= kMaxIndexDepth)
    return fail(Errc::Corrupt, "indexes nested more than {} deep", kMaxIndexDepth);
  std::string name = "blobs/sha256/" + d.digest.hex();
  Index index = TRY(parse_index(TRY(contents.document(name)), name));
  for (size_t i = 0; i < index.manifests.size(); ++i) {
    const Descriptor& child = index.manifests[i];
    bool only_one = index.manifests.size() == 1 && !child.platform;
    if (matches(child, platform) || only_one) {
      return TRY_CTX(select_manifest(contents, child, platform, depth + 1), "{}: manifests[{}]",
                     name, i);
    }
  }
  return fail(Errc::NotFound, "{}: no manifest for {}/{}", name, platform.os,
              platform.architecture);
}

// ref.name is a bare tag ("latest", as `skopeo copy … oci:dir:latest` writes) or a whole
// reference (podman, skopeo's oci-archive:file:name); a tag never holds '/', ':' or '@'.
Result<std::optional<std::string>> name_of(const std::map<std::string, std::string>& annotations,
                                           const LoadOptions& options) {
  std::string text;
  if (auto it = annotations.find(std::string(kContainerdNameAnnotation)); it != annotations.end()) {
    text = it->second;
  } else if (auto ref = annotations.find(std::string(kRefNameAnnotation));
             ref != annotations.end()) {
    text = ref->second;
    if (text.find_first_of("/:@") == std::string::npos) {
      if (options.tag_repository.empty()) return std::nullopt;
      text = options.tag_repository + ":" + text;
    }
  } else {
    return std::nullopt;
  }
  Reference reference = TRY(parse_reference(text));
  return reference.with_default_tag().str();
}

// Checks that the manifest's config and layers are in the archive and keeps them all.
Status keep_image(ArchiveContents& contents, const Digest& manifest_digest) {
  std::string name = "blobs/sha256/" + manifest_digest.hex();
  Manifest manifest = TRY(parse_manifest(TRY(contents.document(name)), name));
  StoredBlob config_blob = TRY_CTX(contents.layout_blob(manifest.config), "{}: config", name);
  std::string config_name = "blobs/sha256/" + config_blob.digest.hex();
  ImageConfig config = TRY(parse_image_config(TRY(contents.document(config_name)), config_name));
  if (config.diff_ids.size() != manifest.layers.size()) {
    return fail(Errc::Corrupt, "{}: {} layers, but config {} has {} rootfs.diff_ids", name,
                manifest.layers.size(), config_name, config.diff_ids.size());
  }
  for (size_t i = 0; i < manifest.layers.size(); ++i) {
    StoredBlob layer = TRY_CTX(contents.layout_blob(manifest.layers[i]), "{}: layers[{}]", name, i);
    contents.keep(layer.digest);
  }
  contents.keep(config_blob.digest);
  contents.keep(manifest_digest);
  return ok();
}

void add_image(std::vector<ArchiveImage>& images, const Digest& manifest,
               const std::optional<std::string>& name) {
  auto it = std::find_if(images.begin(), images.end(),
                         [&](const ArchiveImage& image) { return image.manifest == manifest; });
  if (it == images.end()) it = images.insert(images.end(), ArchiveImage{manifest, {}});
  if (name && std::find(it->names.begin(), it->names.end(), *name) == it->names.end())
    it->names.push_back(*name);
}

}  // namespace

Result<std::vector<ArchiveImage>> load_oci_layout(ArchiveContents& contents,
                                                  const LoadOptions& options) {
  TRY(check_layout_version(contents));
  Index index = TRY(parse_index(TRY(contents.document("index.json")), "index.json"));
  std::vector<ArchiveImage> images;
  for (size_t i = 0; i < index.manifests.size(); ++i) {
    const Descriptor& d = index.manifests[i];
    Digest manifest =
        TRY_CTX(select_manifest(contents, d, options.platform, 0), "index.json: manifests[{}]", i);
    auto name =
        TRY_CTX(name_of(d.annotations, options), "index.json: manifests[{}].annotations", i);
    add_image(images, manifest, name);
  }
  for (const auto& image : images) TRY(keep_image(contents, image.manifest));
  return images;
}

}  // namespace quai::image::internal
