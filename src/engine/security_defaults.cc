// Capabilities and the /proc and /sys paths of a default container. The seccomp profile
// lives in seccomp_default.cc, user profile files in seccomp_file.cc.

#include "engine/security_defaults.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "engine/internal/capability_names.h"
#include "runtime/capabilities.h"

namespace quai::engine {
namespace internal {

std::string canonical_capability(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper == "ALL" || upper.starts_with("CAP_")) return upper;
  return "CAP_" + upper;
}

std::set<std::string> capability_set(const std::vector<std::string>& names) {
  std::set<std::string> out;
  for (const auto& name : names) out.insert(canonical_capability(name));
  return out;
}

}  // namespace internal

namespace {

// The flag is named in the error: "--cap-add: unknown capability "CAP_FOO"".
Result<std::vector<std::string>> canonical_list(const std::vector<std::string>& names,
                                                std::string_view flag) {
  std::vector<std::string> out;
  for (const auto& name : names) {
    std::string canonical = internal::canonical_capability(name);
    if (canonical != "ALL") {
      TRY_CTX(runtime::capability_number(canonical), "{}", flag);
    }
    out.push_back(std::move(canonical));
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// Capability-number order makes the result independent of how the flags were written.
std::vector<std::string> sorted_unique(std::vector<std::string> caps) {
  auto number = [](const std::string& name) {
    return runtime::capability_number(name).value_or(std::numeric_limits<int>::max());
  };
  std::sort(caps.begin(), caps.end(),
            [&](const auto& a, const auto& b) { return number(a) < number(b); });
  caps.erase(std::unique(caps.begin(), caps.end()), caps.end());
  return caps;
}

}  // namespace

std::vector<std::string> default_capabilities() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

Result<std::vector<std::string>> apply_capability_changes(std::vector<std::string> base,
                                                          const std::vector<std::string>& add,
                                                          const std::vector<std::string>& drop) {
  std::vector<std::string> adds = TRY(canonical_list(add, "--cap-add"));
  std::vector<std::string> drops = TRY(canonical_list(drop, "--cap-drop"));
  base = TRY(canonical_list(base, "base capabilities"));
  std::vector<std::string> caps;
  if (contains(adds, "ALL")) {
    // Every capability this kernel has, less the ones named in --cap-drop.
    for (auto& cap : runtime::known_capabilities()) {
      if (!contains(drops, cap)) caps.push_back(std::move(cap));
    }
    return sorted_unique(std::move(caps));
  }
  if (!contains(drops, "ALL")) {
    for (auto& cap : base) {
      if (!contains(drops, cap)) caps.push_back(std::move(cap));
    }
  }
  // An add wins over a drop of the same name: "--cap-drop ALL --cap-add X" is the idiom.
  for (auto& cap : adds) caps.push_back(std::move(cap));
  return sorted_unique(std::move(caps));
}

// Masked: files that leak host-wide state (kernel memory, other tenants' keys and timers,
// scheduler internals with host process names), hardware interfaces whose writes reach
// the host (SCSI rescans, ACPI, firmware and EFI variables), and the RAPL energy counters
// that leak what other code computes (the PLATYPUS power side channel).
std::vector<std::string> default_masked_paths() {
  return {"/proc/acpi",          "/proc/asound",
          "/proc/kcore",         "/proc/keys",
          "/proc/latency_stats", "/proc/sched_debug",
          "/proc/scsi",          "/proc/timer_list",
          "/proc/timer_stats",   "/sys/devices/virtual/powercap",
          "/sys/firmware"};
}

// Read-only: host-wide kernel settings that /proc exposes as writable files (sysctls not
// covered by a namespace, IRQ affinity, bus and file-system knobs) and the magic SysRq key.
std::vector<std::string> default_readonly_paths() {
  return {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
}

}  // namespace quai::engine
