#pragma once
// linux.seccomp → a BPF program compiled with libseccomp. Compiling a 300-rule profile
// costs milliseconds, so programs are cached on disk by the hash of the profile and
// loaded directly with seccomp(2).

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace quai::runtime {

struct SeccompProgram {
  std::string bpf;         // struct sock_filter[] bytes
  unsigned int flags = 0;  // SECCOMP_FILTER_FLAG_*
};

/// Checks actions, architectures, operators and flags; errors name the field.
Status validate_seccomp(const Seccomp& seccomp);
/// Compiles, or loads from `cache_dir` (empty: no cache) a program compiled before.
Result<SeccompProgram> compile_seccomp(const Seccomp& seccomp, const std::string& cache_dir);
/// Installs the program on the calling thread; needs no_new_privs or CAP_SYS_ADMIN.
Status load_seccomp(const SeccompProgram& program);

/// Names for `features`.
std::vector<std::string> seccomp_actions();
std::vector<std::string> seccomp_operators();
std::vector<std::string> seccomp_architectures();
std::vector<std::string> seccomp_flags();

}  // namespace quai::runtime
