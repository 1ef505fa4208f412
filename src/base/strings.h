#pragma once
// Small string helpers: splitting, joining, trimming and checked number parsing.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace quai {

std::vector<std::string> split(std::string_view text, char separator);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::string_view trim(std::string_view text);
std::string to_upper(std::string_view text);
std::string to_lower(std::string_view text);

/// Parses a whole decimal integer; InvalidArgument names the text on failure.
Result<int64_t> parse_int64(std::string_view text);
Result<uint64_t> parse_uint64(std::string_view text);

}  // namespace quai
