#pragma once
// OCI hooks: each runs with the container state as JSON on stdin, and is killed when its
// timeout passes.

#include <string_view>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace quai::runtime {

/// Runs hooks in order and stops at the first failure; the error names
/// "hooks.<kind>[i]" and the path.
Status run_hooks(const std::vector<Hook>& hooks, std::string_view kind,
                 std::string_view state_json);
/// For poststart and poststop, whose failures the spec says to log and go past.
void run_hooks_warn(const std::vector<Hook>& hooks, std::string_view kind,
                    std::string_view state_json);

/// Resets signal dispositions and the mask a child inherits before it execs: the
/// runtime ignores SIGPIPE, and an ignored signal would stay ignored across exec.
void reset_signals_for_exec();

}  // namespace quai::runtime
