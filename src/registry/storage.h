#pragma once
// The registry's storage, in one directory (docs/design/registry.md):
//
//   blobs/sha256/<hex>                         content, shared code with the image store
//   repositories/<name>/_layers/<hex>          the repository may serve this blob
//   repositories/<name>/_manifests/<hex>       a manifest of the repository; holds its media type
//   repositories/<name>/_tags/<tag>            "sha256:<hex>" of the tagged manifest
//   repositories/<name>/_referrers/<subject-hex>/<hex>   a manifest whose subject is <subject>
//
// Blobs appear only once complete and verified (BlobWriter); every link file is written
// whole (temp file, fsync, rename), so a reader never sees half a record. Names must have
// passed image::is_valid_repository_path: no component starts with "_" or climbs with "..".
// Thread-safe and safe across processes: every record is one file, replaced atomically.

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/blob_store.h"
#include "image/digest.h"

namespace quai::registry {

struct StoredManifest {
  image::Digest digest = image::Digest::of_nothing();
  std::string media_type;
  std::string content;
};

struct GcReport {
  int blobs_removed = 0;
  uint64_t bytes_freed = 0;
};

class Storage {
 public:
  /// Opens (creating) the storage under dir.
  static Result<Storage> open(const std::string& dir);

  image::BlobStore& blobs() { return blobs_; }
  const std::string& dir() const { return dir_; }

  /// True when the repository has the blob and the content is there.
  bool has_blob(const std::string& repo, const image::Digest& digest) const;
  Status link_blob(const std::string& repo, const image::Digest& digest);
  /// NotFound when the repository did not have it.
  Status unlink_blob(const std::string& repo, const image::Digest& digest);

  /// Stores a manifest already checked by the caller; `tag` is set to point at it when given,
  /// and `subject` records it as a referrer of that digest.
  Result<image::Digest> put_manifest(const std::string& repo, std::string_view content,
                                     const std::string& media_type,
                                     const std::optional<std::string>& tag,
                                     const std::optional<image::Digest>& subject);
  /// By tag or by digest; NotFound when the repository has no such manifest.
  Result<StoredManifest> manifest(const std::string& repo, const std::string& reference) const;
  bool has_manifest(const std::string& repo, const image::Digest& digest) const;
  /// By digest: the manifest, its tags and its referrer record go. By tag: only the tag.
  /// NotFound when there was nothing to delete.
  Status delete_manifest(const std::string& repo, const std::string& reference);

  /// Sorted; NotFound when the repository does not exist.
  Result<std::vector<std::string>> tags(const std::string& repo) const;
  /// Every repository with at least one manifest or blob, sorted.
  Result<std::vector<std::string>> repositories() const;
  /// The manifests in `repo` whose subject is `subject`, in digest order.
  Result<std::vector<StoredManifest>> referrers(const std::string& repo,
                                                const image::Digest& subject) const;

  /// Removes blobs that no manifest of any repository refers to and no repository links,
  /// and links to blobs that are gone. `dry_run` only counts.
  Result<GcReport> collect_garbage(bool dry_run);

 private:
  Storage(std::string dir, image::BlobStore blobs)
      : dir_(std::move(dir)), blobs_(std::move(blobs)) {}
  std::string repo_dir(const std::string& repo) const { return dir_ + "/repositories/" + repo; }
  Result<image::Digest> resolve(const std::string& repo, const std::string& reference) const;

  std::string dir_;
  image::BlobStore blobs_;
};

}  // namespace quai::registry
