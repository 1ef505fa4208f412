// --security-opt seccomp=FILE: a profile in OCI's `linux.seccomp` shape or in Docker's,
// which adds per-rule conditions (capabilities held, native architecture, kernel version)
// and an architecture map. Both become the OCI object for this machine; every value the
// runtime would refuse later is refused here, with the file and the field named.

#include <algorithm>
#include <cstdio>
#include <set>

#include "engine/internal/capability_names.h"
#include "engine/security_defaults.h"
#include "runtime/capabilities.h"
#include "runtime/seccomp.h"
#include "sys/file_io.h"

namespace quai::engine {
namespace {

// How Docker profiles name the architecture quai runs on: libseccomp's name in "archMap",
// Go's (and uname's) in "includes"/"excludes".
struct NativeArch {
  std::string_view scmp;
  std::string_view names[2];
};
#if defined(__x86_64__)
constexpr NativeArch kNative = {"SCMP_ARCH_X86_64", {"amd64", "x86_64"}};
#elif defined(__aarch64__)
constexpr NativeArch kNative = {"SCMP_ARCH_AARCH64", {"arm64", "aarch64"}};
#else
#error "quai knows the seccomp architecture names of x86_64 and aarch64 only"
#endif

using KernelVersion = std::pair<int, int>;

struct Host {
  std::set<std::string> caps;
  std::optional<KernelVersion> kernel;  // nullopt: /proc unreadable
};

std::optional<KernelVersion> parse_kernel_version(const std::string& text) {
  int major = 0, minor = 0;
  if (std::sscanf(text.c_str(), "%d.%d", &major, &minor) != 2) return std::nullopt;
  return KernelVersion{major, minor};
}

Status check_name(const JsonReader& r, std::string_view key, const std::string& value,
                  const std::vector<std::string>& known, std::string_view what) {
  if (std::find(known.begin(), known.end(), value) != known.end()) return ok();
  if (value == "SCMP_ACT_NOTIFY") {
    return fail(Errc::Unsupported, "{}: seccomp notify is not supported", r.child_path(key));
  }
  return fail(r.error(key, fmt::format("unknown {} \"{}\"", what, value)));
}

Result<std::string> action(const JsonReader& r, std::string_view key) {
  std::string value = TRY(r.string(key));
  TRY(check_name(r, key, value, runtime::seccomp_actions(), "action"));
  return value;
}

Status copy_errno(const JsonReader& r, std::string_view key, Json& out) {
  auto value = TRY(r.optional_uint64(key));
  if (value) out[key] = TRY(narrow_uint<uint32_t>(r, key, *value));
  return ok();
}

// Docker's map lists, per native architecture, the ones its syscall table also serves
// (x86_64 → x86 and x32); only the entry for the machine quai runs on applies.
Result<Json> architectures(const JsonReader& r) {
  Json out = Json::array();
  for (const auto& entry : TRY(r.array("archMap"))) {
    std::string arch = TRY(entry.string("architecture"));
    if (arch != kNative.scmp) continue;
    out.push_back(arch);
    for (auto& sub : TRY(entry.strings("subArchitectures"))) out.push_back(std::move(sub));
  }
  if (r.has("archMap")) return out;
  auto listed = TRY(r.strings("architectures"));
  for (size_t i = 0; i < listed.size(); ++i) {
    TRY(check_name(r, fmt::format("architectures[{}]", i), listed[i],
                   runtime::seccomp_architectures(), "architecture"));
  }
  return Json(listed);
}

bool names_native_arch(const std::vector<std::string>& arches) {
  return std::any_of(arches.begin(), arches.end(), [](const std::string& arch) {
    return arch == kNative.names[0] || arch == kNative.names[1];
  });
}

// Capabilities are checked so a typo cannot silently switch a rule on or off.
Result<std::vector<std::string>> condition_caps(const JsonReader& r) {
  auto caps = TRY(r.strings("caps"));
  for (size_t i = 0; i < caps.size(); ++i) {
    caps[i] = internal::canonical_capability(caps[i]);
    TRY_CTX(runtime::capability_number(caps[i]), "{}", r.child_path(fmt::format("caps[{}]", i)));
  }
  return caps;
}

// nullopt when the condition sets no minimum kernel.
Result<std::optional<bool>> kernel_at_least(const JsonReader& r, const Host& host) {
  auto text = TRY(r.optional_string("minKernel"));
  if (!text) return std::nullopt;
  auto wanted = parse_kernel_version(*text);
  if (!wanted) return fail(r.error("minKernel", fmt::format("invalid version \"{}\"", *text)));
  if (!host.kernel) return fail(r.error("minKernel", "the kernel version is unknown"));
  return *host.kernel >= *wanted;
}

// "includes": every capability held, the native architecture listed, the kernel new enough.
Result<bool> includes_hold(const JsonReader& rule, const Host& host) {
  if (!rule.has("includes")) return true;
  JsonReader r = TRY(rule.object("includes"));
  for (const auto& cap : TRY(condition_caps(r))) {
    if (!host.caps.contains(cap)) return false;
  }
  auto arches = TRY(r.strings("arches"));
  if (!arches.empty() && !names_native_arch(arches)) return false;
  return TRY(kernel_at_least(r, host)).value_or(true);
}

// "excludes": any capability held, the native architecture listed, or the kernel new enough.
Result<bool> excludes_hold(const JsonReader& rule, const Host& host) {
  if (!rule.has("excludes")) return false;
  JsonReader r = TRY(rule.object("excludes"));
  for (const auto& cap : TRY(condition_caps(r))) {
    if (host.caps.contains(cap)) return true;
  }
  if (names_native_arch(TRY(r.strings("arches")))) return true;
  return TRY(kernel_at_least(r, host)).value_or(false);
}

Result<Json> argument(const JsonReader& r) {
  uint32_t index = TRY(narrow_uint<uint32_t>(r, "index", TRY(r.uint64("index"))));
  if (index >= 6) return fail(r.error("index", "must be below 6"));
  std::string op = TRY(r.string("op"));
  TRY(check_name(r, "op", op, runtime::seccomp_operators(), "operator"));
  uint64_t value = TRY(r.uint64("value"));
  uint64_t value_two = TRY(r.optional_uint64("valueTwo")).value_or(0);
  return Json{{"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", op}};
}

// Docker's older profiles name one syscall per rule with "name".
Result<std::vector<std::string>> rule_names(const JsonReader& r) {
  auto names = TRY(r.strings("names"));
  if (auto name = TRY(r.optional_string("name"))) names.push_back(*name);
  if (names.empty()) return fail(r.error("names", "must name at least one syscall"));
  return names;
}

Result<Json> rule(const JsonReader& r) {
  auto names = TRY(rule_names(r));
  auto rule_action = TRY(action(r, "action"));
  Json out = {{"names", names}, {"action", rule_action}};
  TRY(copy_errno(r, "errnoRet", out));
  for (const auto& arg : TRY(r.array("args"))) out["args"].push_back(TRY(argument(arg)));
  return out;
}

Result<Json> syscalls(const JsonReader& r, const Host& host) {
  Json out = Json::array();
  for (const auto& item : TRY(r.array("syscalls"))) {
    TRY(item.expect_object());
    if (!TRY(includes_hold(item, host)) || TRY(excludes_hold(item, host))) continue;
    out.push_back(TRY(rule(item)));
  }
  return out;
}

Result<Json> flags(const JsonReader& r) {
  auto listed = TRY(r.strings("flags"));
  for (size_t i = 0; i < listed.size(); ++i) {
    TRY(check_name(r, fmt::format("flags[{}]", i), listed[i], runtime::seccomp_flags(), "flag"));
  }
  return Json(listed);
}

Result<Json> convert(const Json& document, const Host& host) {
  JsonReader r(document, "");
  TRY(r.expect_object());
  if (r.has("listenerPath")) {
    return fail(Errc::Unsupported, "listenerPath: seccomp notify is not supported");
  }
  auto default_action = TRY(action(r, "defaultAction"));
  Json out = {{"defaultAction", default_action}};
  TRY(copy_errno(r, "defaultErrnoRet", out));
  out["architectures"] = TRY(architectures(r));
  if (r.has("flags")) out["flags"] = TRY(flags(r));
  out["syscalls"] = TRY(syscalls(r, host));
  return out;
}

}  // namespace

Result<Json> load_seccomp_profile_file(const std::string& path,
                                       const std::vector<std::string>& capabilities) {
  std::string text = TRY_CTX(sys::read_file(path), "seccomp profile");
  Host host{internal::capability_set(capabilities), std::nullopt};
  if (auto release = sys::read_file("/proc/sys/kernel/osrelease")) {
    host.kernel = parse_kernel_version(*release);
  }
  Json document = TRY_CTX(parse_json(text, ""), "seccomp profile \"{}\"", path);
  return with_context(convert(document, host), "seccomp profile \"{}\"", path);
}

}  // namespace quai::engine
