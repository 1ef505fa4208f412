#pragma once
// Content-addressed blobs: <root>/blobs/sha256/<hex>. A blob becomes visible only once
// it is complete, synced and its digest verified; a crash leaves nothing half-written,
// because data is written to an unnamed O_TMPFILE and linked into place at the end.
// Blobs are immutable; writers of the same blob at once are harmless (the first link
// wins, the others see it exists). Thread-compatible; safe across processes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "image/digest.h"
#include "sys/fd.h"

namespace quai {
class Sha256;
}

namespace quai::image {

class BlobStore;

/// What a commit stored: `created` is false when the store already held the blob, so a
/// caller that undoes its work removes only what it added.
struct StoredBlob {
  Digest digest;
  uint64_t size = 0;
  bool created = false;
};

/// One blob being streamed into a store: bytes go to an unnamed O_TMPFILE and are hashed as
/// they arrive; nothing is visible until commit(), and a writer dropped without a commit
/// leaves nothing behind. Move-only; borrows the store, which must outlive it.
class BlobWriter {
 public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) noexcept;
  ~BlobWriter();

  /// Appends data; Corrupt once more than the writer's size limit has arrived.
  Status write(std::string_view data);
  uint64_t size() const { return size_; }
  /// Ends the content: the digest of what was written. Call before commit() to learn the
  /// digest before the (slow) sync; no write may follow.
  const Digest& digest();
  /// Verifies against `expected` / `expected_size` when given (a mismatch is Corrupt and
  /// stores nothing), syncs, and links the blob into place. Call at most once.
  Result<StoredBlob> commit(const std::optional<Digest>& expected = std::nullopt,
                            std::optional<uint64_t> expected_size = std::nullopt);

 private:
  friend class BlobStore;
  BlobWriter(BlobStore& store, sys::UniqueFd tmp, std::optional<uint64_t> limit);
  void start_writeback();

  BlobStore* store_;
  sys::UniqueFd tmp_;
  std::unique_ptr<Sha256> hash_;
  std::optional<Digest> digest_;
  uint64_t size_ = 0;
  uint64_t written_back_ = 0;  // bytes start_writeback() handed to the kernel

  std::optional<uint64_t> limit_;
};

class BlobStore {
 public:
  /// Opens (creating) the store under `root`.
  static Result<BlobStore> open(const std::string& root);

  bool has(const Digest& digest) const;
  std::string path(const Digest& digest) const;

  /// A writer for one new blob; with `limit`, writing more than that many bytes is Corrupt
  /// (a stream that announced its size must not fill the disk).
  Result<BlobWriter> writer(std::optional<uint64_t> limit = std::nullopt);
  /// Stores data and returns its digest.
  Result<Digest> put(std::string_view data);
  /// Streams from fd until EOF. With `expected`, a digest or size mismatch is Corrupt
  /// and nothing is stored.
  Result<Digest> ingest(int fd, const std::optional<Digest>& expected = std::nullopt,
                        std::optional<uint64_t> expected_size = std::nullopt);
  /// Reads a whole blob and checks it still matches its digest.
  Result<std::string> read(const Digest& digest) const;
  /// Opens a blob for streaming reads (the caller verifies what it reads); NotFound if absent.
  Result<sys::UniqueFd> open_blob(const Digest& digest) const;
  /// The blob's size on disk; NotFound if absent.
  Result<uint64_t> size(const Digest& digest) const;
  Status remove(const Digest& digest);

 private:
  friend class BlobWriter;
  explicit BlobStore(std::string root) : root_(std::move(root)) {}
  Result<sys::UniqueFd> open_temporary() const;
  /// Syncs and names tmp_fd's file; true when it was new (false: the blob already existed).
  Result<bool> commit(int tmp_fd, const Digest& digest);

  std::string root_;
};

}  // namespace quai::image
