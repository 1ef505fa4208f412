#pragma once
// Capability names as users write them ("sys_admin", "CAP_SYS_ADMIN") in one canonical form,
// shared by the capability flags and the seccomp profiles that depend on capabilities.

#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace quai::engine::internal {

/// "sys_admin" and "cap_sys_admin" → "CAP_SYS_ADMIN"; "all" → "ALL". No validation.
std::string canonical_capability(std::string_view name);

/// The canonical names of `names`, for membership tests.
std::set<std::string> capability_set(const std::vector<std::string>& names);

}  // namespace quai::engine::internal
