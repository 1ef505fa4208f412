// Garbage collection and consistency checks for ImageStore: mark from the index (and
// the layers containers pin), sweep blobs/ and layers/.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha256.h"
#include "image/image_store.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

// Streams a blob through SHA-256: layers can be far larger than memory should hold.
Result<std::string> hash_file(const std::string& path) {
  sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", path);
  Sha256 hash;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read \"{}\"", path);
    if (n == 0) break;
    hash.update(std::string_view(buffer, static_cast<size_t>(n)));
  }
  return hash.finish_hex();
}

uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

Result<std::set<Digest>> ImageStore::referenced_blobs(
    const std::vector<ImageRecord>& images) const {
  std::set<Digest> blobs;
  for (const auto& image : images) {
    blobs.insert(image.manifest);
    blobs.insert(image.id);
    auto parsed = TRY(manifest(image));
    for (const auto& layer : parsed.layers) blobs.insert(layer.digest);
  }
  blobs.merge(compressed_copies(blobs, false));
  return blobs;
}

// images/ holds the index and its lock; anything else is a replacement that a killed
// command did not finish writing (index.json.tmp).
std::vector<std::string> ImageStore::index_leftovers() const {
  std::vector<std::string> found;
  for (const auto& name :
       sys::list_directory(root_ + "/images").value_or(std::vector<std::string>{})) {
    if (name != "index.json" && name != "index.lock") found.push_back(root_ + "/images/" + name);
  }
  return found;
}

Result<GcReport> ImageStore::collect_garbage(const std::set<Digest>& pinned_layers) {
  auto gc_lock = TRY(store::FileLock::acquire(root_ + "/locks/gc", store::LockMode::Exclusive));
  {
    auto index_lock = TRY(lock_index());
    for (const auto& path : index_leftovers()) ::unlink(path.c_str());
  }
  auto images = TRY(read_index());
  for (auto& cached : cached_steps()) images.push_back(std::move(cached));
  auto live_blobs = TRY(referenced_blobs(images));
  (void)compressed_copies(live_blobs, true);  // records of copies whose source goes now
  std::set<Digest> live_layers = pinned_layers;
  for (const auto& image : images) {
    for (const auto& diff_id : TRY(config(image)).diff_ids) live_layers.insert(diff_id);
  }
  GcReport report;
  std::string blob_dir = root_ + "/blobs/sha256";
  for (const auto& hex : TRY(sys::list_directory(blob_dir))) {
    if (live_blobs.contains(Digest::from_hex(hex))) continue;
    std::string path = blob_dir + "/" + hex;
    uint64_t size = file_size(path);
    if (::unlink(path.c_str()) == 0) {
      ++report.blobs_removed;
      report.bytes_freed += size;
    }
  }
  for (const auto& hex : TRY(sys::list_directory(root_ + "/layers"))) {
    if (live_layers.contains(Digest::from_hex(hex))) continue;
    auto layer = read_layer(Digest::from_hex(hex));
    TRY(sys::remove_tree(root_ + "/layers/" + hex));
    ++report.layers_removed;
    if (layer) report.bytes_freed += layer->size;
  }
  return report;
}

Result<CheckReport> ImageStore::check(const std::set<Digest>& pinned_layers) const {
  CheckReport report;
  auto problem = [&](std::string text) { report.problems.push_back(std::move(text)); };
  auto index_lock = TRY(lock_index());  // a writer's index.json.tmp is not a leftover
  for (const auto& path : index_leftovers()) problem(fmt::format("half-written file {}", path));
  auto images = TRY(read_index());
  for (auto& cached : cached_steps()) images.push_back(std::move(cached));
  std::set<Digest> live_blobs;
  std::set<Digest> live_layers = pinned_layers;
  for (const auto& image : images) {
    auto blobs = referenced_blobs({image});
    auto image_config = config(image);
    if (!blobs || !image_config) {
      problem(fmt::format("image {}: {}", image.id.short_id(),
                          (!blobs ? blobs.error() : image_config.error()).to_string()));
      continue;
    }
    live_blobs.insert(blobs->begin(), blobs->end());
    live_layers.insert(image_config->diff_ids.begin(), image_config->diff_ids.end());
  }
  std::string blob_dir = root_ + "/blobs/sha256";
  for (const auto& hex : TRY(sys::list_directory(blob_dir))) {
    auto actual = hash_file(blob_dir + "/" + hex);
    if (!actual || *actual != hex)
      problem(fmt::format("blob sha256:{}: content does not match", hex));
    if (!live_blobs.contains(Digest::from_hex(hex)))
      problem(fmt::format("orphan blob sha256:{}", hex));
  }
  for (const auto& digest : live_blobs) {
    if (!blobs_.has(digest)) problem(fmt::format("missing blob {}", digest.str()));
  }
  for (const auto& hex : TRY(sys::list_directory(root_ + "/layers"))) {
    if (!read_layer(Digest::from_hex(hex))) problem(fmt::format("incomplete layer sha256:{}", hex));
    if (!live_layers.contains(Digest::from_hex(hex)))
      problem(fmt::format("orphan layer sha256:{}", hex));
  }
  for (const auto& digest : live_layers) {
    if (!sys::is_directory(layer_dir(digest)))
      problem(fmt::format("missing layer {}", digest.str()));
  }
  for (const auto& name : TRY(sys::list_directory(temp_.dir()))) {
    if (store::FileLock::lock_directory(temp_.dir() + "/" + name, store::LockMode::Shared, false)) {
      problem(fmt::format("leftover tmp/{}", name));
    }
  }
  return report;
}

}  // namespace quai::image
