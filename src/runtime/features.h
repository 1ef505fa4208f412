#pragma once
// The runtime-spec "features" document: what this runtime supports.

#include "base/json.h"

namespace quai::runtime {

Json features_json();

}  // namespace quai::runtime
