#pragma once
// Identifiers for containers, volumes and temporary work: 64 random hex digits, shown as
// their first 12, as Docker does.

#include <cstddef>
#include <string>
#include <string_view>

namespace quai::store {

/// Fills `size` bytes from getrandom(2) (never fails on Linux ≥ 3.17 once the pool is up).
void random_bytes(void* out, size_t size);
/// 32 bytes from getrandom(2) as 64 lowercase hex digits.
std::string random_id();
/// The 12-digit form shown in tables.
std::string_view short_id(std::string_view id);
/// True for 1 to 64 lowercase hex digits (a full id or a prefix of one).
bool is_id_prefix(std::string_view text);

}  // namespace quai::store
