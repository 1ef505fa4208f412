#pragma once
// Namespace types of the spec ↔ clone flags and /proc/PID/ns names; joining by path.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace quai::runtime {

int namespace_clone_flag(std::string_view type);
/// "network" → "net", "mount" → "mnt", …
std::string_view namespace_proc_name(std::string_view type);

/// setns into the namespace at `path`, which must be of `type`.
Status join_namespace(const std::string& path, std::string_view type);

/// Clone flags for the namespaces the spec asks to create (no path).
int new_namespace_flags(const Spec& spec);

}  // namespace quai::runtime
