#pragma once
// process.rlimits: names to resources, and applying them with errors that name the limit.

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace quai::runtime {

/// "RLIMIT_NOFILE" → RLIMIT_NOFILE; InvalidArgument for an unknown name.
Result<int> rlimit_resource(const std::string& name);
Status validate_rlimits(const std::vector<Rlimit>& rlimits);
/// setrlimit for each; raising a hard limit above the caller's needs CAP_SYS_RESOURCE,
/// and the error says so.
Status apply_rlimits(const std::vector<Rlimit>& rlimits);

}  // namespace quai::runtime
