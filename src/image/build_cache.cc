// The build cache's index: <root>/build-cache/<key> holds "<manifest digest> <config
// digest>" of the image a build step made. Those images are not in the name index; GC
// keeps their blobs and layers as long as an entry points at them.

#include <unistd.h>

#include "image/image_store.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

bool is_cache_key(std::string_view key) {
  return key.size() == 64 && key.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

std::optional<ImageRecord> ImageStore::cached_step(std::string_view key) const {
  if (!is_cache_key(key)) return std::nullopt;
  auto text = sys::read_file(build_cache_dir() + "/" + std::string(key));
  if (!text) return std::nullopt;
  size_t space = text->find(' ');
  if (space == std::string::npos) return std::nullopt;
  auto manifest = Digest::parse(text->substr(0, space));
  std::string config_text = text->substr(space + 1);
  while (!config_text.empty() && config_text.back() == '\n') config_text.pop_back();
  auto config = Digest::parse(config_text);
  // A half-swept entry (GC ran without it): a miss, the step runs again.
  if (!manifest || !config || !blobs_.has(*manifest) || !blobs_.has(*config)) return std::nullopt;
  return ImageRecord{*config, *manifest, {}, {}};
}

Status ImageStore::remember_step(std::string_view key, const ImageRecord& image) {
  if (!is_cache_key(key)) return fail(Errc::InvalidArgument, "bad build cache key \"{}\"", key);
  TRY(sys::mkdir_p(build_cache_dir(), 0700));
  return sys::write_file_atomic(build_cache_dir() + "/" + std::string(key),
                                image.manifest.str() + " " + image.id.str() + "\n", 0600);
}

std::vector<ImageRecord> ImageStore::cached_steps() const {
  std::vector<ImageRecord> found;
  auto keys = sys::list_directory(build_cache_dir());
  if (!keys) return found;
  for (const auto& key : *keys) {
    if (auto image = cached_step(key)) found.push_back(*image);
  }
  return found;
}

Result<int> ImageStore::prune_build_cache() {
  auto keys = sys::list_directory(build_cache_dir());
  if (!keys) return 0;
  int removed = 0;
  for (const auto& key : *keys) {
    if (::unlink((build_cache_dir() + "/" + key).c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace quai::image
