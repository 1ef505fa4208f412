#include "runtime/rlimits.h"

#include <sys/resource.h>

#include <cerrno>

namespace quai::runtime {
namespace {

struct RlimitName {
  const char* name;
  int resource;
};

constexpr RlimitName kRlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},           {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},         {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},         {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},       {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},   {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},       {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},     {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

std::string limit_text(rlim_t value) {
  return value == RLIM_INFINITY ? std::string("unlimited") : std::to_string(value);
}

}  // namespace

Result<int> rlimit_resource(const std::string& name) {
  for (const auto& entry : kRlimits) {
    if (name == entry.name) return entry.resource;
  }
  return fail(Errc::InvalidArgument, "unknown rlimit \"{}\"", name);
}

Status validate_rlimits(const std::vector<Rlimit>& rlimits) {
  for (size_t i = 0; i < rlimits.size(); ++i) {
    TRY_CTX(rlimit_resource(rlimits[i].type), "process.rlimits[{}].type", i);
  }
  return ok();
}

Status apply_rlimits(const std::vector<Rlimit>& rlimits) {
  for (const auto& limit : rlimits) {
    int resource = TRY(rlimit_resource(limit.type));
    struct rlimit value = {limit.soft, limit.hard};
    if (::setrlimit(resource, &value) == 0) continue;
    int saved = errno;
    struct rlimit current = {};
    ::getrlimit(resource, &current);
    if (saved == EPERM && limit.hard > current.rlim_max) {
      return fail(Errc::PermissionDenied,
                  "process.rlimits: {}: hard limit {} is above the caller's hard limit {} "
                  "(raising it needs CAP_SYS_RESOURCE)",
                  limit.type, limit_text(limit.hard), limit_text(current.rlim_max));
    }
    return fail_errno(saved, "process.rlimits: set {} to soft {} hard {}", limit.type,
                      limit_text(limit.soft), limit_text(limit.hard));
  }
  return ok();
}

}  // namespace quai::runtime
