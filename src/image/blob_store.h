#pragma once
// Content-addressed blobs: <root>/blobs/sha256/<hex>. A blob becomes visible only once
// it is complete, synced and its digest verified; a crash leaves nothing half-written,
// because data is written to an unnamed O_TMPFILE and linked into place at the end.
// Blobs are immutable; writers of the same blob at once are harmless (the first link
// wins, the others see it exists). Thread-compatible; safe across processes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "image/digest.h"

namespace quai::image {

class BlobStore {
 public:
  /// Opens (creating) the store under `root`.
  static Result<BlobStore> open(const std::string& root);

  bool has(const Digest& digest) const;
  std::string path(const Digest& digest) const;

  /// Stores data and returns its digest.
  Result<Digest> put(std::string_view data);
  /// Streams from fd until EOF. With `expected`, a digest or size mismatch is Corrupt
  /// and nothing is stored.
  Result<Digest> ingest(int fd, const std::optional<Digest>& expected = std::nullopt,
                        std::optional<uint64_t> expected_size = std::nullopt);
  /// Reads a whole blob and checks it still matches its digest.
  Result<std::string> read(const Digest& digest) const;
  Status remove(const Digest& digest);

 private:
  explicit BlobStore(std::string root) : root_(std::move(root)) {}
  Result<Digest> commit(int tmp_fd, const std::string& hex);

  std::string root_;
};

}  // namespace quai::image
