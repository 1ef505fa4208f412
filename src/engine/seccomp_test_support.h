#pragma once
// For the engine's tests: a seccomp profile taken through the runtime as a container's
// would be, from config.json text to a BPF program.

#include "base/json.h"
#include "base/result.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

namespace quai::engine::testing {

/// Parses `seccomp` inside a minimal config.json, validates and compiles it without cache.
inline Result<runtime::SeccompProgram> compile_profile(const Json& seccomp,
                                                       const std::string& cache_dir = "") {
  Json config = {
      {"ociVersion", "1.2.0"}, {"root", {{"path", "rootfs"}}}, {"linux", {{"seccomp", seccomp}}}};
  runtime::Spec spec = TRY(runtime::parse_spec(config.dump(), "/bundle"));
  TRY(runtime::validate_seccomp(*spec.linux_->seccomp));
  return runtime::compile_seccomp(*spec.linux_->seccomp, cache_dir);
}

}  // namespace quai::engine::testing
