#include "image/digest.h"

#include "base/sha256.h"

namespace quai::image {

Result<Digest> Digest::parse(std::string_view text) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return fail(Errc::InvalidArgument, "invalid digest \"{}\": expected algorithm:hex", text);
  }
  std::string_view algorithm = text.substr(0, colon);
  std::string_view hex = text.substr(colon + 1);
  if (algorithm != "sha256") {
    return fail(Errc::Unsupported, "digest \"{}\": algorithm \"{}\" is not supported (sha256 is)",
                text, algorithm);
  }
  bool lower_hex = hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
  if (hex.size() != 64 || !lower_hex) {
    return fail(Errc::InvalidArgument,
                "invalid digest \"{}\": sha256 needs 64 lowercase hex digits", text);
  }
  return Digest(std::string(hex));
}

Digest Digest::of(std::string_view data) { return Digest(sha256_hex(data)); }

}  // namespace quai::image
