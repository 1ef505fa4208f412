#pragma once
// Capability names ↔ numbers and applying the five sets of process.capabilities.

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace quai::runtime {

/// "CAP_NET_ADMIN" → 12; InvalidArgument for an unknown name.
Result<int> capability_number(const std::string& name);
/// Every capability name this build knows, in number order.
std::vector<std::string> known_capabilities();
/// The known capabilities in this process's bounding set: all a privileged container can
/// have (root in a container or a VM may lack some, e.g. CAP_SYS_RESOURCE).
std::vector<std::string> bounding_capabilities();
/// Checks every name in every set; the error names the set and the capability.
Status validate_capabilities(const Capabilities& caps, std::string_view field);

/// Drops everything outside caps.bounding from the bounding set; needs CAP_SETPCAP, so
/// call before switching to a non-root user.
Status drop_bounding_set(const Capabilities& caps);
/// Sets effective, permitted and inheritable, then raises the ambient ones.
Status apply_capability_sets(const Capabilities& caps);

}  // namespace quai::runtime
