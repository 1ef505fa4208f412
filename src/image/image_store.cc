#include "image/image_store.h"

#include <algorithm>

#include "image/reference.h"
#include "store/ids.h"
#include "store/json_file.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

Json record_to_json(const ImageRecord& image) {
  return {{"id", image.id.str()},
          {"manifest", image.manifest.str()},
          {"names", image.names},
          {"added", image.added}};
}

Result<ImageRecord> record_from_json(const JsonReader& r) {
  ImageRecord image;
  image.id = TRY(Digest::parse(TRY(r.string("id"))));
  image.manifest = TRY(Digest::parse(TRY(r.string("manifest"))));
  image.names = TRY(r.strings("names"));
  image.added = r.has("added") ? TRY(r.string("added")) : "";
  return image;
}

// The stored form of a name: "busybox" → "docker.io/library/busybox:latest".
Result<std::string> normalise_name(std::string_view name) {
  auto reference = TRY(parse_reference(name));
  if (reference.digest)
    return fail(Errc::InvalidArgument, "\"{}\": a tag cannot hold a digest", name);
  return reference.with_default_tag().str();
}

void remove_name(std::vector<ImageRecord>& images, const std::string& name) {
  for (auto& image : images) std::erase(image.names, name);
}

std::vector<ImageRecord>::iterator find_by_id(std::vector<ImageRecord>& images, const Digest& id) {
  return std::ranges::find_if(images, [&](const ImageRecord& i) { return i.id == id; });
}

Result<const ImageRecord*> find_in(const std::vector<ImageRecord>& images,
                                   std::string_view name_or_id) {
  if (auto reference = parse_reference(name_or_id); reference) {
    std::string wanted = reference->with_default_tag().str();
    for (const auto& image : images) {
      bool by_digest = reference->digest && image.manifest == *reference->digest;
      if (by_digest || std::ranges::count(image.names, wanted) > 0) return &image;
    }
  }
  std::string_view prefix = name_or_id;
  if (prefix.starts_with("sha256:")) prefix.remove_prefix(7);
  if (store::is_id_prefix(prefix)) {
    const ImageRecord* match = nullptr;
    for (const auto& image : images) {
      if (!image.id.hex().starts_with(prefix)) continue;
      if (match != nullptr && match->id != image.id) {
        return fail(Errc::InvalidArgument, "image id prefix \"{}\" is ambiguous", name_or_id);
      }
      match = &image;
    }
    if (match != nullptr) return match;
  }
  return fail(Errc::NotFound, "No such image: {}", name_or_id);
}

}  // namespace

Result<ImageStore> ImageStore::open(const std::string& root) {
  for (const char* dir : {"images", "layers", "locks", "tmp"}) {
    TRY(sys::mkdir_p(root + "/" + dir, 0700));
  }
  auto blobs = TRY(BlobStore::open(root));
  return ImageStore(root, std::move(blobs));
}

Result<store::FileLock> ImageStore::lock_content() const {
  return store::FileLock::acquire(root_ + "/locks/gc", store::LockMode::Shared);
}

Result<store::FileLock> ImageStore::lock_index() const {
  return store::FileLock::acquire(root_ + "/images/index.lock", store::LockMode::Exclusive);
}

Result<std::vector<ImageRecord>> ImageStore::read_index() const {
  auto document = store::read_json_file(index_path());
  if (!document && document.error().code() == Errc::NotFound) return std::vector<ImageRecord>{};
  if (!document) return std::unexpected(document.error());
  JsonReader reader(*document, index_path());
  std::vector<ImageRecord> images;
  for (const auto& entry : TRY(reader.array("images"))) {
    images.push_back(TRY_CTX(record_from_json(entry), "image index"));
  }
  return images;
}

Status ImageStore::write_index(const std::vector<ImageRecord>& images) const {
  Json list = Json::array();
  for (const auto& image : images) list.push_back(record_to_json(image));
  return store::write_json_file(index_path(), Json{{"images", list}});
}

Result<std::vector<ImageRecord>> ImageStore::list() const { return read_index(); }

Result<ImageRecord> ImageStore::find(std::string_view name_or_id) const {
  auto images = TRY(read_index());
  return *TRY(find_in(images, name_or_id));
}

Result<Manifest> ImageStore::manifest(const ImageRecord& image) const {
  auto text = TRY_CTX(blobs_.read(image.manifest), "image {}", image.id.short_id());
  return parse_manifest(text, "manifest " + image.manifest.str());
}

Result<std::string> ImageStore::config_json(const ImageRecord& image) const {
  return with_context(blobs_.read(image.id), "image {}: config", image.id.short_id());
}

Result<ImageConfig> ImageStore::config(const ImageRecord& image) const {
  auto text = TRY(config_json(image));
  return parse_image_config(text, "config " + image.id.str());
}

Result<ImageRecord> ImageStore::add(const Digest& manifest_digest,
                                    const std::vector<std::string>& names) {
  auto manifest_text = TRY(blobs_.read(manifest_digest));
  auto parsed = TRY(parse_manifest(manifest_text, "manifest " + manifest_digest.str()));
  auto config_text = TRY_CTX(blobs_.read(parsed.config.digest), "image config");
  auto config = TRY(parse_image_config(config_text, "config " + parsed.config.digest.str()));
  if (config.diff_ids.size() != parsed.layers.size()) {
    return fail(Errc::Corrupt, "manifest {}: {} layers, but the config lists {} diff_ids",
                manifest_digest.str(), parsed.layers.size(), config.diff_ids.size());
  }
  TRY(layers(parsed, config));
  std::vector<std::string> normalised;
  for (const auto& name : names) normalised.push_back(TRY(normalise_name(name)));

  auto lock = TRY(lock_index());
  auto images = TRY(read_index());
  // A rebuild that changed nothing: the index stays as it is (no write, no fsync).
  if (auto same = find_by_id(images, parsed.config.digest);
      same != images.end() && same->manifest == manifest_digest &&
      std::ranges::all_of(normalised, [&](const std::string& name) {
        return std::ranges::find(same->names, name) != same->names.end();
      })) {
    return *same;
  }
  for (const auto& name : normalised) remove_name(images, name);
  auto existing = find_by_id(images, parsed.config.digest);
  if (existing == images.end()) {
    images.push_back({parsed.config.digest, manifest_digest, {}, rfc3339_now()});
    existing = images.end() - 1;
  }
  existing->manifest = manifest_digest;
  for (const auto& name : normalised) existing->names.push_back(name);
  ImageRecord added = *existing;
  TRY(write_index(images));
  return added;
}

Status ImageStore::tag(std::string_view source, std::string_view target) {
  auto name = TRY(normalise_name(target));
  auto lock = TRY(lock_index());
  auto images = TRY(read_index());
  Digest id = TRY(find_in(images, source))->id;
  remove_name(images, name);
  find_by_id(images, id)->names.push_back(name);
  return write_index(images);
}

Result<RemoveReport> ImageStore::remove(std::string_view name_or_id, bool force,
                                        const std::set<Digest>& in_use) {
  auto lock = TRY(lock_index());
  auto images = TRY(read_index());
  ImageRecord image = *TRY(find_in(images, name_or_id));
  auto reference = parse_reference(name_or_id);
  std::string name = reference ? reference->with_default_tag().str() : "";
  bool by_name = std::ranges::count(image.names, name) > 0;
  RemoveReport report;
  // As Docker: removing one of several names only untags; the image goes with its last,
  // unless a container still uses it — then even -f only takes the names away.
  if (by_name && image.names.size() > 1) {
    report.untagged.push_back(name);
  } else if (in_use.contains(image.id)) {
    if (!force) {
      return fail(Errc::Busy, "unable to remove image {} (must force) - it is used by a container",
                  by_name ? name : image.id.short_id());
    }
    report.untagged = image.names;
  } else if (!by_name && image.names.size() > 1 && !force) {
    return fail(Errc::Busy,
                "unable to delete {} (must be forced) - image is referenced in multiple "
                "repositories",
                image.id.short_id());
  } else {
    report.untagged = image.names;
    report.deleted.push_back(image.id);
  }
  for (const auto& untagged : report.untagged) remove_name(images, untagged);
  std::erase_if(images,
                [&](const ImageRecord& i) { return !report.deleted.empty() && i.id == image.id; });
  TRY(write_index(images));
  return report;
}

Result<RemoveReport> ImageStore::prune(bool all, const std::set<Digest>& in_use) {
  auto lock = TRY(lock_index());
  auto images = TRY(read_index());
  RemoveReport report;
  std::erase_if(images, [&](const ImageRecord& image) {
    bool unwanted = all || image.names.empty();
    if (!unwanted || in_use.contains(image.id)) return false;
    report.untagged.insert(report.untagged.end(), image.names.begin(), image.names.end());
    report.deleted.push_back(image.id);
    return true;
  });
  if (!report.deleted.empty()) TRY(write_index(images));
  return report;
}

}  // namespace quai::image
