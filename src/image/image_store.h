#pragma once
// The image store under <root>: blobs, unpacked layers and the name index.
//
//   blobs/sha256/<hex>          content (blob_store.h)
//   layers/<diff-hex>/diff      a layer unpacked once, in overlayfs form; shared read-only
//   layers/<diff-hex>/layer.json  written last: a layer dir without it is unfinished;
//                               read-only (0400) while the layer may not be on disk yet
//   images/index.json           image id (config digest) → manifest digest and names
//   build-cache/<key>           a build step's image (image/build_cache.cc)
//   compressed/<alg>/<hex>      the digest of blob <hex> compressed for a push
//   tmp/                        in-flight work (store/temp_area.h)
//   locks/gc                    shared by commands that add or use content, exclusive for GC
//
// Layers are keyed by diff_id, not chain id: overlayfs stacks layers itself, so a layer's
// directory depends on its own content only and is shared by every image that has it.
// Safe across processes: index updates hold images/index.lock; readers see whole files.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "image/blob_store.h"
#include "image/digest.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "store/lock.h"
#include "store/temp_area.h"

namespace quai::image {

struct CompressionTee;  // image/compress.h

struct ImageRecord {
  Digest id = Digest::of_nothing();  // the config's digest, as Docker's image id
  Digest manifest = Digest::of_nothing();
  std::vector<std::string> names;  // normalised "docker.io/library/busybox:latest"
  std::string added;               // RFC 3339, when this store first had it
};

struct LayerInfo {
  Digest diff_id = Digest::of_nothing();
  std::string path;   // <root>/layers/<hex>/diff
  uint64_t size = 0;  // bytes on disk
};

/// What a removal did, in Docker's words ("Untagged: …", "Deleted: …").
struct RemoveReport {
  std::vector<std::string> untagged;
  std::vector<Digest> deleted;
};

struct GcReport {
  int blobs_removed = 0;
  int layers_removed = 0;
  uint64_t bytes_freed = 0;
};

/// When a layer unpacked by add_layer() reaches the disk.
enum class LayerSync {
  Now,       // one syncfs before the layer becomes visible
  Deferred,  // visible at once; sync_deferred_layers*() makes it durable afterwards
};

struct CheckReport {
  std::vector<std::string> problems;  // empty: consistent
};

class ImageStore {
 public:
  /// Opens (creating) the store under root.
  static Result<ImageStore> open(const std::string& root);

  const std::string& root() const { return root_; }
  BlobStore& blobs() { return blobs_; }
  const BlobStore& blobs() const { return blobs_; }
  const store::TempArea& temp() const { return temp_; }

  /// Held by commands that add content or pin layers, so GC cannot sweep under them.
  Result<store::FileLock> lock_content() const;

  Result<std::vector<ImageRecord>> list() const;
  /// A name ("busybox", "app:1", "x@sha256:…"), a full id or a unique id prefix.
  /// NotFound "No such image: NAME".
  Result<ImageRecord> find(std::string_view name_or_id) const;
  Result<Manifest> manifest(const ImageRecord& image) const;
  Result<ImageConfig> config(const ImageRecord& image) const;
  Result<std::string> config_json(const ImageRecord& image) const;

  /// Registers an image whose manifest, config and layer blobs are already stored,
  /// unpacking layers not yet present and checking their diff_ids. Names move here from
  /// any image that had them (as `docker tag` and `load` do).
  Result<ImageRecord> add(const Digest& manifest, const std::vector<std::string>& names);
  /// Adds a name for an existing image.
  Status tag(std::string_view source, std::string_view target);
  /// `rmi`: removes a name, or the whole image when given by id or when its last name
  /// goes. An image in `in_use` is refused (Busy) unless force.
  Result<RemoveReport> remove(std::string_view name_or_id, bool force,
                              const std::set<Digest>& in_use);
  /// Drops images without names (dangling), or every image not in `in_use` when all.
  Result<RemoveReport> prune(bool all, const std::set<Digest>& in_use);

  /// The image's layers, lowest first, unpacked.
  Result<std::vector<LayerInfo>> layers(const ImageRecord& image) const;
  /// The same, for a manifest and config the caller has already read.
  Result<std::vector<LayerInfo>> layers(const Manifest& manifest, const ImageConfig& config) const;
  /// Unpacks a stored layer blob unless already there; checks its diff_id when given
  /// (without one, as for an import, the blob is unpacked to learn it).
  Result<LayerInfo> ensure_layer(const Descriptor& blob,
                                 const std::optional<Digest>& diff_id) const;
  bool has_layer(const Digest& diff_id) const;
  /// Unpacks a layer read from `fd` as it arrives (a download), `blob` being what the bytes
  /// are. Once the stream has ended, `verify_source` checks what was read (its digest) and
  /// the diff_id is checked; only then does the layer become visible.
  ///
  /// A Deferred layer is trusted without a sync only in the boot that wrote it: after a
  /// restart it counts as missing until synced, and is unpacked again from its blob (which
  /// is always durable first).
  Result<LayerInfo> add_layer(int fd, const Descriptor& blob, const std::optional<Digest>& diff_id,
                              const std::function<Status()>& verify_source,
                              LayerSync sync = LayerSync::Now) const;
  /// Makes the layers this store object added with LayerSync::Deferred durable: one syncfs,
  /// then their layer.json becomes writable (the mark of a layer known to be on disk).
  Status sync_deferred_layers() const;
  /// The same in a detached process, so that a pull returns while the disk catches up as it
  /// would for podman or Docker, which never sync layers. That process holds locks/gc
  /// (shared) until done: a GC, or anyone taking the lock exclusively, waits for it.
  void sync_deferred_layers_in_background() const;

  /// The image a build step made, by the step's cache key (64 hex digits): NotFound is a
  /// miss, as is an entry whose blobs are gone.
  std::optional<ImageRecord> cached_step(std::string_view key) const;
  /// Records `image` (written, not in the name index) as the result of the step `key`.
  Status remember_step(std::string_view key, const ImageRecord& image);
  /// The images the build cache points at (GC keeps them).
  std::vector<ImageRecord> cached_steps() const;
  /// Forgets every cached step; their content goes at the next GC. Returns how many.
  Result<int> prune_build_cache();

  /// Makes a gzip or zstd copy of the stored blob `source` (a layer to push), streamed to
  /// `tee` as it is made when given, and keeps it while `source` is kept
  /// (compressed_copies.cc).
  Result<StoredBlob> make_compressed_copy(const Digest& source, Compression how,
                                          const CompressionTee* tee = nullptr);
  /// The copy make_compressed_copy() made earlier, if it is still there.
  std::optional<StoredBlob> existing_compressed_copy(const Digest& source, Compression how) const;

  /// Mark and sweep: blobs and layers that no image uses and no `pinned_layers` needs, and
  /// index replacements left half-written.
  Result<GcReport> collect_garbage(const std::set<Digest>& pinned_layers);
  /// Verifies the store: index entries resolve, blobs match their digests, layers are
  /// complete, nothing unreferenced or half-written is left.
  Result<CheckReport> check(const std::set<Digest>& pinned_layers) const;

 private:
  ImageStore(std::string root, BlobStore blobs)
      : root_(std::move(root)),
        blobs_(std::move(blobs)),
        temp_(root_ + "/tmp"),
        deferred_(std::make_shared<DeferredLayers>()) {}

  struct DeferredLayers {  // added without a sync, by this process (add_layer's threads)
    std::mutex mutex;
    std::vector<std::string> layer_files;  // their layer.json
  };

  std::string build_cache_dir() const { return root_ + "/build-cache"; }
  std::string compressed_dir() const { return root_ + "/compressed"; }
  std::string compressed_copy_record(const Digest& source, Compression how) const;
  /// The copies of `sources`; with drop_others, the records of other sources go.
  std::set<Digest> compressed_copies(const std::set<Digest>& sources, bool drop_others) const;
  std::string index_path() const { return root_ + "/images/index.json"; }
  std::string layer_dir(const Digest& diff_id) const { return root_ + "/layers/" + diff_id.hex(); }
  Result<std::vector<ImageRecord>> read_index() const;
  Status write_index(const std::vector<ImageRecord>& images) const;
  Result<store::FileLock> lock_index() const;
  Result<LayerInfo> read_layer(const Digest& diff_id) const;
  /// Removes a layer directory that read_layer() refuses (left by a crash or a restart).
  Status discard_layer(const Digest& diff_id) const;
  std::vector<std::string> take_deferred_layers() const;
  std::vector<std::string> index_leftovers() const;
  Result<std::set<Digest>> referenced_blobs(const std::vector<ImageRecord>& images) const;

  std::string root_;
  BlobStore blobs_;
  store::TempArea temp_;
  std::shared_ptr<DeferredLayers> deferred_;
};

}  // namespace quai::image
