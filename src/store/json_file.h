#pragma once
// JSON documents on disk: read with the file named in errors, replaced atomically.

#include <string>

#include "base/json.h"
#include "base/result.h"
#include "sys/file_io.h"

namespace quai::store {

/// NotFound when missing; Corrupt (naming the file) when it does not parse.
Result<Json> read_json_file(const std::string& path);
Status write_json_file(const std::string& path, const Json& document,
                       sys::Durability durability = sys::Durability::Durable);

}  // namespace quai::store
