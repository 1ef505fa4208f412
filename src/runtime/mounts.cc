#include "runtime/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>

#include "base/log.h"
#include "base/strings.h"
#include "sys/fs.h"
#include "sys/syscalls.h"

namespace quai::runtime {
namespace {

struct FlagOption {
  const char* name;
  bool clear;
  unsigned long flag;
};

constexpr FlagOption kFlagOptions[] = {
    {"defaults", false, 0},
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"suid", true, MS_NOSUID},
    {"nosuid", false, MS_NOSUID},
    {"dev", true, MS_NODEV},
    {"nodev", false, MS_NODEV},
    {"exec", true, MS_NOEXEC},
    {"noexec", false, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"silent", false, MS_SILENT},
    {"loud", true, MS_SILENT},
};

struct PropagationOption {
  const char* name;
  unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

// Accepted and deliberately without effect here: SELinux relabelling is the engine's
// business, tmpcopyup and the recursive variants are refinements we do not need yet.
constexpr const char* kIgnoredOptions[] = {
    "z",       "Z",      "tmpcopyup", "rro",          "rrw",
    "rnosuid", "rnodev", "rnoexec",   "copy-symlink", "notmpcopyup"};

// Flags a bind mount inherits from its source and must keep on remount; the kernel
// refuses to clear them inside a user namespace, and we never want to loosen them.
unsigned long locked_flags(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  unsigned long flags = 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  return flags;
}

Status set_propagation(const std::string& target, unsigned long propagation) {
  if (propagation == 0) return ok();
  return sys::mount("", target, "", propagation, "");
}

Status bind_mount(const MountContext& context, const Mount& mount, const MountOptions& options) {
  std::string source = mount.source;
  if (source.empty()) return fail(Errc::InvalidArgument, "bind mount needs a source");
  if (source[0] != '/') source = context.bundle + "/" + source;
  struct stat st;
  if (::stat(source.c_str(), &st) != 0) return fail_errno(errno, "bind source \"{}\"", source);
  auto kind = S_ISDIR(st.st_mode) ? sys::NodeKind::Directory : sys::NodeKind::File;
  auto target = TRY(sys::make_path_in_root(context.root_fd, mount.destination, kind));
  unsigned long bind_flags = MS_BIND | (options.recursive_bind ? MS_REC : 0);
  TRY(sys::mount(source, sys::fd_path(target.get()), "", bind_flags, ""));
  // Reopen: the old fd still names the directory underneath the new mount.
  auto mounted = TRY(sys::open_in_root(context.root_fd, mount.destination));
  std::string path = sys::fd_path(mounted.get());
  unsigned long extra = options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
  if (extra != 0) {
    TRY(sys::mount("", path, "", MS_BIND | MS_REMOUNT | extra | locked_flags(source), ""));
  }
  return set_propagation(path, options.propagation);
}

std::string hierarchy_dir_name(const Hierarchy& hierarchy) {
  if (hierarchy.unified) return "unified";
  std::string name = join(hierarchy.controllers, ",");
  if (name.starts_with("name=")) name = name.substr(5);
  return name;
}

// One hierarchy below the container's /sys/fs/cgroup: a fresh cgroup mount inside a
// cgroup namespace (the kernel roots it at the container's cgroup), else a bind of the
// container's own directory so the host tree stays hidden.
Status mount_hierarchy(const MountContext& context, const std::string& dir_path,
                       const Hierarchy& hierarchy, unsigned long flags) {
  auto dir = TRY(sys::make_path_in_root(context.root_fd, dir_path, sys::NodeKind::Directory));
  std::string target = sys::fd_path(dir.get());
  if (context.cgroup_ns) {
    std::string type = hierarchy.unified ? "cgroup2" : "cgroup";
    std::string data = hierarchy.unified ? "" : join(hierarchy.controllers, ",");
    if (sys::mount("cgroup", target, type, flags, data)) return ok();
  }
  std::string source = hierarchy.mount_point + context.cgroup_path;
  TRY(sys::mount(source, target, "", MS_BIND | MS_REC, ""));
  auto mounted = TRY(sys::open_in_root(context.root_fd, dir_path));
  return sys::mount("", sys::fd_path(mounted.get()), "", MS_BIND | MS_REMOUNT | flags, "");
}

Status mount_cgroups(const MountContext& context, const Mount& mount, const MountOptions& options) {
  unsigned long flags = (options.flags & ~MS_REMOUNT) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  const CgroupLayout& layout = *context.cgroups;
  if (layout.mode == CgroupMode::V2)
    return mount_hierarchy(context, mount.destination, *layout.unified(), flags);
  auto dir =
      TRY(sys::make_path_in_root(context.root_fd, mount.destination, sys::NodeKind::Directory));
  TRY(sys::mount("tmpfs", sys::fd_path(dir.get()), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                 "mode=755"));
  for (const auto& hierarchy : layout.hierarchies) {
    std::string sub = mount.destination + "/" + hierarchy_dir_name(hierarchy);
    TRY_CTX(mount_hierarchy(context, sub, hierarchy, flags), "cgroup hierarchy \"{}\"", sub);
  }
  if (flags & MS_RDONLY) {
    auto top = TRY(sys::open_in_root(context.root_fd, mount.destination));
    TRY(sys::mount("", sys::fd_path(top.get()), "",
                   MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"));
  }
  return ok();
}

// Inside a user namespace, sysfs and mqueue can only be mounted with their own network
// and ipc namespaces; fall back to a recursive bind of the host's, as runc does.
bool may_fall_back_to_bind(const MountContext& context, const Mount& mount, const Error& error) {
  return context.user_ns && error.sys_errno() == EPERM &&
         (mount.type == "sysfs" || mount.type == "mqueue");
}

Status filesystem_mount(const MountContext& context, const Mount& mount,
                        const MountOptions& options) {
  auto target =
      TRY(sys::make_path_in_root(context.root_fd, mount.destination, sys::NodeKind::Directory));
  std::string path = sys::fd_path(target.get());
  std::string source = mount.source.empty() ? mount.type : mount.source;
  auto mounted = sys::mount(source, path, mount.type, options.flags, options.data);
  if (!mounted) {
    if (!may_fall_back_to_bind(context, mount, mounted.error())) return mounted;
    std::string host = mount.type == "sysfs" ? "/sys" : "/dev/mqueue";
    TRY(sys::mount(host, path, "", MS_BIND | MS_REC, ""));
  }
  if (options.propagation == 0) return ok();
  auto reopened = TRY(sys::open_in_root(context.root_fd, mount.destination));
  return set_propagation(sys::fd_path(reopened.get()), options.propagation);
}

}  // namespace

unsigned long propagation_flags(std::string_view name) {
  for (const auto& option : kPropagationOptions) {
    if (name == option.name) return option.flags;
  }
  return 0;
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  std::vector<std::string> data;
  for (const auto& option : options) {
    bool handled = false;
    for (const auto& flag : kFlagOptions) {
      if (option == flag.name) {
        out.flags = flag.clear ? out.flags & ~flag.flag : out.flags | flag.flag;
        handled = true;
      }
    }
    if (option == "bind" || option == "rbind") {
      out.bind = true;
      out.recursive_bind = option == "rbind";
      continue;
    }
    if (handled) continue;
    if (unsigned long p = propagation_flags(option)) {
      out.propagation = p;
      continue;
    }
    if (std::find(std::begin(kIgnoredOptions), std::end(kIgnoredOptions), option) !=
        std::end(kIgnoredOptions)) {
      continue;
    }
    if (option == "idmap" || option == "ridmap") {
      return fail(Errc::Unsupported, "mount option \"{}\" is not supported", option);
    }
    data.push_back(option);
  }
  out.data = join(data, ",");
  return out;
}

Status mount_entry(const MountContext& context, const Mount& mount) {
  auto options = TRY_CTX(parse_mount_options(mount.options), "mount \"{}\"", mount.destination);
  Status status;
  if (options.bind || mount.type == "bind") {
    status = bind_mount(context, mount, options);
  } else if (mount.type == "cgroup" || mount.type == "cgroup2") {
    status = mount_cgroups(context, mount, options);
  } else {
    status = filesystem_mount(context, mount, options);
  }
  if (!status) status.error().add_context(fmt::format("mount \"{}\"", mount.destination));
  return status;
}

}  // namespace quai::runtime
