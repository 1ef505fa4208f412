#pragma once
// Jobs 0..count-1 over up to `parallel` threads, each with its own fork of a session (its
// own connection): layer downloads and uploads.

#include <functional>

#include "base/result.h"
#include "registry/client/session.h"

namespace quai::registry::client {

/// Runs job(session, i) for every i; a thread whose job fails takes no more. Returns the
/// first error.
Status for_each_in_parallel(const Session& session, size_t count, int parallel,
                            const std::function<Status(Session&, size_t)>& job);

}  // namespace quai::registry::client
