// The unpacked-layer half of ImageStore: layers/<diff-hex>/{diff,layer.json}.

#include <fcntl.h>
#include <unistd.h>

#include "image/image_store.h"
#include "image/layer.h"
#include "store/json_file.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

Status sync_directory(const std::string& path) {
  sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", path);
  if (::fsync(fd.get()) != 0) return fail_errno(errno, "fsync \"{}\"", path);
  return ok();
}

}  // namespace

Result<LayerInfo> ImageStore::read_layer(const Digest& diff_id) const {
  std::string dir = layer_dir(diff_id);
  auto meta = TRY(store::read_json_file(dir + "/layer.json"));
  JsonReader reader(meta, dir + "/layer.json");
  uint64_t size = TRY(reader.uint64("size"));
  return LayerInfo{diff_id, dir + "/diff", size};
}

Result<LayerInfo> ImageStore::ensure_layer(const Descriptor& blob,
                                           const std::optional<Digest>& expected) const {
  if (expected) {
    if (auto present = read_layer(*expected); present) return present;
  }
  auto blob_fd = TRY_CTX(blobs_.open_blob(blob.digest), "layer {}", blob.digest.str());
  return add_layer(blob_fd.get(), blob, expected, [] { return ok(); });
}

bool ImageStore::has_layer(const Digest& diff_id) const { return read_layer(diff_id).has_value(); }

Result<LayerInfo> ImageStore::add_layer(int fd, const Descriptor& blob,
                                        const std::optional<Digest>& expected,
                                        const std::function<Status()>& verify_source) const {
  std::string origin = "layer " + blob.digest.str();
  auto work = TRY(temp_.make("layer"));
  std::string diff = work.path() + "/diff";
  TRY(sys::mkdir_p(diff, 0755));
  sys::UniqueFd diff_fd(::open(diff.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!diff_fd) return fail_errno(errno, "{}: open \"{}\"", origin, diff);
  auto unpacked = TRY(unpack_layer(fd, diff_fd.get(), {}, origin));
  // The stream's writer (a download) must reach its end to check the digest of all of it.
  TRY_CTX(sys::read_all(fd), "{}", origin);
  TRY(verify_source());
  if (expected && unpacked.diff_id != *expected) {
    return fail(Errc::Corrupt, "{}: content has diff_id {}, the image config says {}", origin,
                unpacked.diff_id.str(), expected->str());
  }
  const Digest& diff_id = unpacked.diff_id;
  // One syncfs for the whole tree instead of an fsync per file: the layer becomes visible
  // (rename) only after everything in it is on disk.
  if (::syncfs(diff_fd.get()) != 0) return fail_errno(errno, "{}: syncfs", origin);
  Json meta{{"diff_id", diff_id.str()},
            {"blob", blob.digest.str()},
            {"size", unpacked.disk_size},
            {"tar_size", unpacked.tar_size}};
  TRY(store::write_json_file(work.path() + "/layer.json", meta));
  auto committed = work.commit_to(layer_dir(diff_id));
  if (!committed && committed.error().code() != Errc::AlreadyExists) {
    return std::unexpected(committed.error());
  }
  TRY(sync_directory(root_ + "/layers"));
  return read_layer(diff_id);
}

Result<std::vector<LayerInfo>> ImageStore::layers(const ImageRecord& image) const {
  return layers(TRY(manifest(image)), TRY(config(image)));
}

Result<std::vector<LayerInfo>> ImageStore::layers(const Manifest& parsed,
                                                  const ImageConfig& image_config) const {
  std::vector<LayerInfo> result;
  for (size_t i = 0; i < image_config.diff_ids.size() && i < parsed.layers.size(); ++i) {
    result.push_back(
        TRY_CTX(ensure_layer(parsed.layers[i], image_config.diff_ids[i]), "layer {}", i));
  }
  return result;
}

}  // namespace quai::image
