#pragma once
// What a `quai run` container gets unless the user asks otherwise: Docker's capability set,
// a seccomp allowlist written for quai, and the /proc and /sys paths hidden or made
// read-only. Pure functions over names and JSON; nothing here touches the kernel, so the
// results can be computed once and cached with the rest of the container's spec.

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace quai::engine {

/// Docker's default capability set (CAP_CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW,
/// SETGID, SETUID, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE).
std::vector<std::string> default_capabilities();

/// Applies --cap-add/--cap-drop ("ALL", names with or without CAP_, case-insensitive) to a
/// base set, as Docker does: adding ALL starts from every capability (drops still apply),
/// dropping ALL starts from nothing, otherwise drops are removed and adds win. The result is
/// "CAP_"-prefixed, upper case, without duplicates, in capability-number order.
/// InvalidArgument naming the flag and an unknown capability.
Result<std::vector<std::string>> apply_capability_changes(std::vector<std::string> base,
                                                          const std::vector<std::string>& add,
                                                          const std::vector<std::string>& drop);

/// The default seccomp profile as the OCI `linux.seccomp` object: EPERM for anything not
/// allowed; an allowlist grouped by purpose; more syscalls when `capabilities` (names as
/// for apply_capability_changes) hold the capability that makes them safe; argument filters
/// on clone, unshare, personality and socket; clone3 fails with ENOSYS without
/// CAP_SYS_ADMIN so that libc falls back to clone. See docs/DECISIONS.md.
Json default_seccomp_profile(const std::vector<std::string>& capabilities);

/// Syscalls that no default profile allows, whatever the capabilities (for tests and docs).
std::vector<std::string_view> never_allowed_syscalls();

/// Paths masked (an empty file or directory mounted over them) in /proc and /sys.
std::vector<std::string> default_masked_paths();
/// Paths remounted read-only in /proc.
std::vector<std::string> default_readonly_paths();

/// Loads a user seccomp profile file (--security-opt seccomp=FILE) in either shape: OCI's
/// `linux.seccomp` or Docker's ("name"/"names", "archMap", "includes"/"excludes" with caps,
/// arches and minKernel, "comment"), and returns the OCI object for this machine and
/// `capabilities`. Errors (NotFound, InvalidArgument, Unsupported) name the file and field:
/// `seccomp profile "p.json": syscalls[3].args[0].op: unknown operator "SCMP_CMP_XX"`.
Result<Json> load_seccomp_profile_file(const std::string& path,
                                       const std::vector<std::string>& capabilities);

}  // namespace quai::engine
