#include "runtime/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "base/log.h"
#include "sys/file_io.h"

namespace quai::runtime {
namespace {

int last_supported_capability() {
  static int last = [] {
    auto text = sys::read_file("/proc/sys/kernel/cap_last_cap");
    if (!text) return static_cast<int>(CAP_LAST_CAP);
    return std::atoi(text->c_str());
  }();
  return last;
}

// Capabilities the running kernel does not know are skipped, as crun and runc do: a
// config written for a newer kernel still runs.
bool kernel_supports(int cap) { return cap <= last_supported_capability(); }

std::vector<cap_value_t> supported_values(const std::vector<std::string>& names) {
  std::vector<cap_value_t> values;
  for (const auto& name : names) {
    auto cap = capability_number(name);
    if (cap && kernel_supports(*cap)) values.push_back(*cap);
  }
  return values;
}

}  // namespace

Result<int> capability_number(const std::string& name) {
  cap_value_t value;
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lower.starts_with("cap_") || cap_from_name(lower.c_str(), &value) != 0) {
    return fail(Errc::InvalidArgument, "unknown capability \"{}\"", name);
  }
  return static_cast<int>(value);
}

std::vector<std::string> known_capabilities() {
  std::vector<std::string> names;
  for (int cap = 0; cap <= last_supported_capability(); ++cap) {
    char* text = cap_to_name(cap);
    std::string name = text;
    cap_free(text);
    for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    names.push_back(std::move(name));
  }
  return names;
}

std::vector<std::string> bounding_capabilities() {
  std::vector<std::string> held;
  for (const auto& name : known_capabilities()) {
    auto number = capability_number(name);
    if (number && ::prctl(PR_CAPBSET_READ, *number, 0, 0, 0) == 1) held.push_back(name);
  }
  return held;
}

Status validate_capabilities(const Capabilities& caps, std::string_view field) {
  const std::pair<const char*, const std::vector<std::string>*> sets[] = {
      {"bounding", &caps.bounding},
      {"effective", &caps.effective},
      {"inheritable", &caps.inheritable},
      {"permitted", &caps.permitted},
      {"ambient", &caps.ambient}};
  for (const auto& [set, names] : sets) {
    for (const auto& name : *names) {
      TRY_CTX(capability_number(name), "{}.{}", field, set);
    }
  }
  return ok();
}

Status drop_bounding_set(const Capabilities& caps) {
  std::set<cap_value_t> keep;
  for (auto value : supported_values(caps.bounding)) keep.insert(value);
  for (int cap = 0; cap <= last_supported_capability(); ++cap) {
    if (keep.contains(cap)) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      return fail_errno(errno, "drop capability {} from the bounding set", cap);
    }
  }
  return ok();
}

Status apply_capability_sets(const Capabilities& caps) {
  cap_t state = cap_init();
  if (state == nullptr) return fail_errno(errno, "cap_init");
  const std::pair<cap_flag_t, const std::vector<std::string>*> sets[] = {
      {CAP_EFFECTIVE, &caps.effective},
      {CAP_PERMITTED, &caps.permitted},
      {CAP_INHERITABLE, &caps.inheritable}};
  for (const auto& [flag, names] : sets) {
    auto values = supported_values(*names);
    if (!values.empty())
      cap_set_flag(state, flag, static_cast<int>(values.size()), values.data(), CAP_SET);
  }
  int rc = cap_set_proc(state);
  int saved = errno;
  cap_free(state);
  if (rc != 0) return fail_errno(saved, "set process capabilities");
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return fail_errno(errno, "clear ambient capabilities");
  }
  for (auto value : supported_values(caps.ambient)) {
    // The kernel refuses an ambient capability missing from the permitted or inheritable
    // set; configs from `crun spec` and podman's --user --cap-add do that, and crun
    // ignores it, so warn instead of failing the container.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, value, 0, 0) != 0) {
      log::warn("process.capabilities.ambient: cannot raise capability {}: {}", value,
                std::strerror(errno));
    }
  }
  return ok();
}

}  // namespace quai::runtime
