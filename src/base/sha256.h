#pragma once
// SHA-256 digests (OpenSSL) as lowercase hex.

#include <string>
#include <string_view>

namespace quai {

std::string sha256_hex(std::string_view data);

/// Incremental SHA-256 for data that arrives in pieces (blobs streamed to disk).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  /// The digest of everything given so far, as lowercase hex; ends the hash.
  std::string finish_hex();

 private:
  void* context_;  // SHA256_CTX
};

}  // namespace quai
