// The unpacked-layer half of ImageStore: layers/<diff-hex>/{diff,layer.json}.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/image_store.h"
#include "image/layer.h"
#include "store/json_file.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace quai::image {
namespace {

Status sync_directory(const std::string& path) {
  sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", path);
  if (::fsync(fd.get()) != 0) return fail_errno(errno, "fsync \"{}\"", path);
  return ok();
}

// A deferred layer's layer.json is read-only until a syncfs has put the layer on disk; the
// sync then adds the owner's write bit. A mode bit, not a marker file: flipping it creates
// nothing, so it cannot race with anyone removing the directory.
constexpr mode_t kDeferredMode = 0400;
constexpr mode_t kSyncedMode = 0600;

// Whether the layer described by `file` can be trusted to be whole: synced, or written in
// this boot (a crash since would have changed the boot id).
Result<bool> layer_is_whole(const std::string& file, const Json& meta) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return fail_errno(errno, "stat \"{}\"", file);
  if ((st.st_mode & S_IWUSR) != 0) return true;
  auto written_in = meta.find("boot_id");
  return written_in != meta.end() && written_in->is_string() && !sys::boot_id().empty() &&
         written_in->get<std::string>() == sys::boot_id();
}

// syncfs, then the write bit on each file; files removed meanwhile are skipped.
Status sync_layer_files(const std::string& layers_dir, const std::vector<std::string>& files) {
  sys::UniqueFd dir(::open(layers_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_errno(errno, "open \"{}\"", layers_dir);
  if (::syncfs(dir.get()) != 0) return fail_errno(errno, "syncfs \"{}\"", layers_dir);
  for (const auto& file : files) {
    if (::chmod(file.c_str(), kSyncedMode) != 0 && errno != ENOENT)
      return fail_errno(errno, "chmod \"{}\"", file);
  }
  return ok();
}

}  // namespace

Result<LayerInfo> ImageStore::read_layer(const Digest& diff_id) const {
  std::string dir = layer_dir(diff_id);
  std::string file = dir + "/layer.json";
  auto meta = TRY(store::read_json_file(file));
  JsonReader reader(meta, file);
  uint64_t size = TRY(reader.uint64("size"));
  if (!TRY(layer_is_whole(file, meta)))
    return fail(Errc::Corrupt, "layer {}: unpacked without a sync before the machine restarted",
                diff_id.str());
  return LayerInfo{diff_id, dir + "/diff", size};
}

Status ImageStore::discard_layer(const Digest& diff_id) const {
  auto moved = temp_.move_in(layer_dir(diff_id), "stale-layer");
  if (!moved && moved.error().code() != Errc::NotFound) return std::unexpected(moved.error());
  return ok();
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
                                        const std::function<Status()>& verify_source,
                                        LayerSync sync) const {
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
  Json meta{{"diff_id", diff_id.str()},
            {"blob", blob.digest.str()},
            {"size", unpacked.disk_size},
            {"tar_size", unpacked.tar_size}};
  bool deferred = sync == LayerSync::Deferred && !sys::boot_id().empty();
  if (deferred) {
    meta["boot_id"] = sys::boot_id();
    TRY(sys::write_file_atomic(work.path() + "/layer.json", meta.dump(), kDeferredMode,
                               sys::Durability::Volatile));
  } else {
    // One syncfs for the whole tree instead of an fsync per file: the layer becomes
    // visible (rename) only after everything in it is on disk.
    if (::syncfs(diff_fd.get()) != 0) return fail_errno(errno, "{}: syncfs", origin);
    TRY(store::write_json_file(work.path() + "/layer.json", meta));
  }
  auto committed = work.commit_to(layer_dir(diff_id));
  if (!committed && committed.error().code() == Errc::AlreadyExists && !read_layer(diff_id)) {
    TRY(discard_layer(diff_id));  // what a crash left there
    committed = work.commit_to(layer_dir(diff_id));
  }
  if (!committed && committed.error().code() != Errc::AlreadyExists) {
    return std::unexpected(committed.error());
  }
  if (deferred) {
    std::lock_guard hold(deferred_->mutex);
    deferred_->layer_files.push_back(layer_dir(diff_id) + "/layer.json");
  } else {
    TRY(sync_directory(root_ + "/layers"));
  }
  return read_layer(diff_id);
}

std::vector<std::string> ImageStore::take_deferred_layers() const {
  std::lock_guard hold(deferred_->mutex);
  return std::exchange(deferred_->layer_files, {});
}

Status ImageStore::sync_deferred_layers() const {
  auto files = take_deferred_layers();
  if (files.empty()) return ok();
  return sync_layer_files(root_ + "/layers", files);
}

void ImageStore::sync_deferred_layers_in_background() const {
  auto files = take_deferred_layers();
  if (files.empty()) return;
  std::string layers_dir = root_ + "/layers";
  auto held = lock_content();
  // Twice forked, so that the worker is nobody's child to reap; all it does is system calls
  // on strings made here.
  pid_t child = held ? ::fork() : -1;
  if (child < 0) {
    (void)sync_layer_files(layers_dir, files);
    return;
  }
  if (child > 0) {
    (void)sys::wait_exit_code(child);
    return;
  }
  if (::fork() != 0) ::_exit(0);
  ::setsid();
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2; ++fd) ::dup2(null, fd);  // no reader waits on our output pipes
  int lock_fd = held->fd();
  ::close_range(3, static_cast<unsigned>(lock_fd) - 1, 0);
  ::close_range(static_cast<unsigned>(lock_fd) + 1, ~0U, 0);
  ::_exit(sync_layer_files(layers_dir, files) ? 0 : 1);
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
