#pragma once
// Base64 (RFC 4648, with padding), as HTTP basic auth and credential files use it.

#include <optional>
#include <string>
#include <string_view>

namespace quai {

std::string base64_encode(std::string_view data);
/// None for text that is not base64 (whitespace is not skipped).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace quai
