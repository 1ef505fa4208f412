#pragma once
// Content digests ("sha256:<64 hex>"), as OCI descriptors and Docker references carry them.

#include <string>
#include <string_view>

#include "base/result.h"

namespace quai::image {

class Digest {
 public:
  /// Parses "sha256:<64 lowercase hex>"; other algorithms are Unsupported.
  static Result<Digest> parse(std::string_view text);
  static Digest of(std::string_view data);
  /// The digest of no bytes: the default of digest fields, without starting OpenSSL (its
  /// first use reads openssl.cnf and builds tables: about 1 ms of every `quai run`).
  static Digest of_nothing() {
    return Digest("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  }
  static Digest from_hex(std::string hex) { return Digest(std::move(hex)); }

  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }
  /// The first 12 hex digits, as Docker shows image ids.
  std::string short_id() const { return hex_.substr(0, 12); }
  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;

 private:
  explicit Digest(std::string hex) : hex_(std::move(hex)) {}
  std::string hex_;
};

}  // namespace quai::image
