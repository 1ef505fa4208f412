#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>

#include <cerrno>

#include "sys/fd.h"

namespace quai::runtime {
namespace {

struct NamespaceKind {
  std::string_view type;
  int flag;
  std::string_view proc_name;
};

constexpr NamespaceKind kKinds[] = {
    {"pid", CLONE_NEWPID, "pid"},          {"network", CLONE_NEWNET, "net"},
    {"mount", CLONE_NEWNS, "mnt"},         {"ipc", CLONE_NEWIPC, "ipc"},
    {"uts", CLONE_NEWUTS, "uts"},          {"user", CLONE_NEWUSER, "user"},
    {"cgroup", CLONE_NEWCGROUP, "cgroup"}, {"time", CLONE_NEWTIME, "time"},
};

const NamespaceKind* find_kind(std::string_view type) {
  for (const auto& kind : kKinds) {
    if (kind.type == type) return &kind;
  }
  return nullptr;
}

}  // namespace

int namespace_clone_flag(std::string_view type) {
  const NamespaceKind* kind = find_kind(type);
  return kind ? kind->flag : 0;
}

std::string_view namespace_proc_name(std::string_view type) {
  const NamespaceKind* kind = find_kind(type);
  return kind ? kind->proc_name : std::string_view();
}

Status join_namespace(const std::string& path, std::string_view type) {
  sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open {} namespace \"{}\"", type, path);
  if (::setns(fd.get(), namespace_clone_flag(type)) != 0) {
    return fail_errno(errno, "join {} namespace \"{}\"", type, path);
  }
  return ok();
}

int new_namespace_flags(const Spec& spec) {
  int flags = 0;
  if (!spec.linux_) return flags;
  for (const auto& ns : spec.linux_->namespaces) {
    if (ns.path.empty()) flags |= namespace_clone_flag(ns.type);
  }
  return flags;
}

}  // namespace quai::runtime
