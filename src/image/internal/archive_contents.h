#pragma once
// What a load has read from an archive so far: each regular member stored as a blob, the
// links between members, and which blobs this load created, so that the ones no image
// uses (and all of them, when the load fails) are removed again.

#include <map>
#include <set>
#include <string>
#include <string_view>

#include "base/result.h"
#include "image/blob_store.h"
#include "image/manifest.h"

namespace quai::image::internal {

/// A member name in canonical form ("./a//b/" → "a/b"). InvalidArgument for absolute
/// names and ".." components: an archive never names anything outside itself.
Result<std::string> clean_member_name(std::string_view name);

/// A symlink's target as a member name, resolved from the link's own directory inside the
/// archive; InvalidArgument when it is absolute or climbs out of the archive.
Result<std::string> resolve_link_target(std::string_view link_name, std::string_view target);

/// Not thread-safe; borrows the store. The destructor removes the blobs this load created,
/// except, once succeeded() was called, those kept.
class ArchiveContents {
 public:
  explicit ArchiveContents(BlobStore& blobs) : blobs_(&blobs) {}
  ~ArchiveContents();
  ArchiveContents(const ArchiveContents&) = delete;
  ArchiveContents& operator=(const ArchiveContents&) = delete;

  BlobStore& blobs() { return *blobs_; }
  size_t size() const { return members_.size(); }
  bool contains(const std::string& name) const { return members_.contains(name); }

  /// Records a member; InvalidArgument when the name was seen before.
  Status add_blob(const std::string& name, const StoredBlob& blob);
  Status add_link(const std::string& name, const std::string& target);
  /// Stores data made by the load itself (a synthesised manifest).
  Result<Digest> put(std::string_view data);

  /// The blob a member holds, following links; Corrupt names a missing member.
  Result<StoredBlob> resolve(const std::string& name) const;
  /// A JSON document member, read back whole: at most kMaxDocumentSize bytes.
  Result<std::string> document(const std::string& name) const;
  /// The blob a descriptor names in an OCI layout (blobs/sha256/<hex>), with its size
  /// checked; Corrupt when the archive lacks it.
  Result<StoredBlob> layout_blob(const Descriptor& descriptor) const;

  /// Keeps a blob past this load: an image the load returns uses it.
  void keep(const Digest& digest) { kept_.insert(digest.hex()); }
  /// The load is complete: kept blobs stay (without this, a half-read image's blobs go).
  void succeeded() { succeeded_ = true; }

 private:
  struct Member {
    std::optional<StoredBlob> blob;
    std::string link;  // the target member, when this one is a link
  };
  void note(const StoredBlob& blob);

  BlobStore* blobs_;
  std::map<std::string, Member> members_;
  std::set<std::string> created_;  // hex digests
  std::set<std::string> kept_;
  bool succeeded_ = false;
};

}  // namespace quai::image::internal
