#pragma once
// Timestamps as Docker and the OCI state print them.

#include <string>

namespace quai {

/// The current time in RFC 3339, UTC, with nanoseconds: "2026-11-22T10:00:00.123456789Z".
std::string rfc3339_now();

}  // namespace quai
