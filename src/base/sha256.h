#pragma once
// SHA-256 digests (OpenSSL) as lowercase hex.

#include <string>
#include <string_view>

namespace quai {

std::string sha256_hex(std::string_view data);

}  // namespace quai
