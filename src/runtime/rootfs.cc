#include "runtime/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>

#include "base/log.h"
#include "base/strings.h"
#include "runtime/mounts.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/syscalls.h"

namespace quai::runtime {
namespace {

const Device kDefaultDevices[] = {
    {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
    {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
    {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

const std::pair<const char*, const char*> kDevSymlinks[] = {
    {"/proc/self/fd", "/dev/fd"},       {"/proc/self/fd/0", "/dev/stdin"},
    {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
    {"pts/ptmx", "/dev/ptmx"},
};

std::pair<std::string, std::string> split_parent(const std::string& path) {
  std::string clean = sys::clean_path(path);
  size_t slash = clean.rfind('/');
  return {clean.substr(0, slash), clean.substr(slash + 1)};
}

mode_t device_type_bits(char type) {
  switch (type) {
    case 'b':
      return S_IFBLK;
    case 'p':
      return S_IFIFO;
    default:
      return S_IFCHR;
  }
}

// In a user namespace mknod is refused: bind the host's node over an empty file instead.
Status create_device(int root_fd, const Device& device, bool user_ns) {
  auto [parent_path, name] = split_parent(device.path);
  auto parent = TRY(sys::make_path_in_root(root_fd, parent_path, sys::NodeKind::Directory));
  if (user_ns) {
    auto target = TRY(sys::make_path_in_root(root_fd, device.path, sys::NodeKind::File));
    return sys::mount(device.path, sys::fd_path(target.get()), "", MS_BIND, "");
  }
  mode_t mode = device.file_mode.value_or(0666) & 07777;
  dev_t number = makedev(static_cast<unsigned>(device.major), static_cast<unsigned>(device.minor));
  if (::mknodat(parent.get(), name.c_str(), mode | device_type_bits(device.type), number) != 0) {
    if (errno != EEXIST) return fail_errno(errno, "mknod \"{}\"", device.path);
    // Replace what the image had there (often a regular file) with the real node.
    if (::unlinkat(parent.get(), name.c_str(), 0) != 0 ||
        ::mknodat(parent.get(), name.c_str(), mode | device_type_bits(device.type), number) != 0) {
      return fail_errno(errno, "mknod \"{}\"", device.path);
    }
  }
  if (::fchmodat(parent.get(), name.c_str(), mode, 0) != 0)
    return fail_errno(errno, "chmod \"{}\"", device.path);
  if (::fchownat(parent.get(), name.c_str(), device.uid.value_or(0), device.gid.value_or(0),
                 AT_SYMLINK_NOFOLLOW) != 0) {
    return fail_errno(errno, "chown \"{}\"", device.path);
  }
  return ok();
}

Status create_dev_symlinks(int root_fd) {
  for (const auto& [target, link] : kDevSymlinks) {
    auto [parent_path, name] = split_parent(link);
    auto parent = TRY(sys::make_path_in_root(root_fd, parent_path, sys::NodeKind::Directory));
    if (::symlinkat(target, parent.get(), name.c_str()) != 0 && errno != EEXIST) {
      return fail_errno(errno, "symlink \"{}\"", link);
    }
  }
  return ok();
}

bool binds_host_dev(const Spec& spec) {
  for (const auto& m : spec.mounts) {
    if (sys::clean_path(m.destination) != "/dev") continue;
    if (m.type == "bind") return true;
    for (const auto& o : m.options) {
      if (o == "bind" || o == "rbind") return true;
    }
  }
  return false;
}

Status create_devices(const RootfsContext& context, int root_fd) {
  const Spec& spec = *context.spec;
  if (!binds_host_dev(spec)) {
    for (const auto& device : kDefaultDevices) TRY(create_device(root_fd, device, context.user_ns));
    TRY(create_dev_symlinks(root_fd));
  }
  if (spec.linux_) {
    for (size_t i = 0; i < spec.linux_->devices.size(); ++i) {
      TRY_CTX(create_device(root_fd, spec.linux_->devices[i], context.user_ns), "linux.devices[{}]",
              i);
    }
  }
  return ok();
}

Status mask_path(const std::string& path) {
  auto fd = sys::open_in_root(AT_FDCWD, path);
  if (!fd) {
    if (fd.error().sys_errno() == ENOENT) return ok();
    return std::unexpected(fd.error());
  }
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return fail_errno(errno, "stat \"{}\"", path);
  std::string target = sys::fd_path(fd->get());
  if (S_ISDIR(st.st_mode)) return sys::mount("tmpfs", target, "tmpfs", MS_RDONLY, "size=0k");
  return sys::mount("/dev/null", target, "", MS_BIND, "");
}

Status make_readonly(const std::string& path) {
  auto fd = sys::open_in_root(AT_FDCWD, path);
  if (!fd) {
    if (fd.error().sys_errno() == ENOENT) return ok();
    return std::unexpected(fd.error());
  }
  TRY(sys::mount(path, sys::fd_path(fd->get()), "", MS_BIND | MS_REC, ""));
  auto mounted = TRY(sys::open_in_root(AT_FDCWD, path));
  struct statvfs st;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  if (::fstatvfs(mounted.get(), &st) == 0) {
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  }
  return sys::mount("", sys::fd_path(mounted.get()), "", flags, "");
}

Status remount_root_readonly() {
  struct statvfs st;
  unsigned long flags = MS_BIND | MS_REMOUNT | MS_RDONLY;
  if (::statvfs("/", &st) == 0) {
    if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
    if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
    if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  }
  return sys::mount("", "/", "", flags, "");
}

// mountinfo writes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size()) {
      out += static_cast<char>((text[i + 1] - '0') * 64 + (text[i + 2] - '0') * 8 +
                               (text[i + 3] - '0'));
      i += 3;
    } else {
      out += text[i];
    }
  }
  return out;
}

Status write_sysctls(const std::map<std::string, std::string>& sysctl) {
  for (const auto& [key, value] : sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i) {
      if (path[i] == '.') path[i] = '/';
    }
    TRY_CTX(sys::write_existing(path, value), "linux.sysctl.{}", key);
  }
  return ok();
}

}  // namespace

Result<sys::UniqueFd> prepare_rootfs(const RootfsContext& context) {
  const Spec& spec = *context.spec;
  // Without a mount namespace the container shares the runtime's mount table (as with
  // crun and runc): its mounts go there, and "/" of the host must not be touched.
  if (spec.has_namespace("mount")) {
    // Nothing mounted here may propagate back to the host: make every mount a slave (or
    // private) first. rootfsPropagation applies to the new root after pivot_root.
    std::string propagation = spec.linux_ ? spec.linux_->rootfs_propagation : "";
    unsigned long host_flags =
        propagation.find("private") != std::string::npos ? MS_PRIVATE : MS_SLAVE;
    TRY(sys::mount("", "/", "", host_flags | MS_REC, ""));
    // pivot_root needs the new root to be a mount point.
    TRY(sys::mount(spec.root_path, spec.root_path, "", MS_BIND | MS_REC, ""));
  }
  sys::UniqueFd root(::open(spec.root_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno(errno, "open root.path \"{}\"", spec.root_path);
  MountContext mounts{root.get(),          context.bundle,    context.cgroups,
                      context.cgroup_path, context.cgroup_ns, context.user_ns};
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    TRY_CTX(mount_entry(mounts, spec.mounts[i]), "mounts[{}]", i);
  }
  TRY(create_devices(context, root.get()));
  return root;
}

Status enter_rootfs(int root_fd, const std::string& rootfs, bool no_pivot, bool has_mount_ns) {
  if (::fchdir(root_fd) != 0) return fail_errno(errno, "chdir \"{}\"", rootfs);
  if (!has_mount_ns) {
    // pivot_root would change the root of every process in the runtime's namespace.
    if (::chroot(".") != 0) return fail_errno(errno, "chroot \"{}\"", rootfs);
  } else if (no_pivot) {
    TRY(sys::mount(rootfs, "/", "", MS_MOVE, ""));
    if (::chroot(".") != 0) return fail_errno(errno, "chroot \"{}\"", rootfs);
  } else {
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching it
    // leaves only the container's tree, with no directory needed for the old root.
    TRY(sys::pivot_root(".", "."));
    TRY(sys::mount("", ".", "", MS_SLAVE | MS_REC, ""));
    TRY(sys::umount(".", MNT_DETACH));
  }
  if (::chdir("/") != 0) return fail_errno(errno, "chdir \"/\"");
  return ok();
}

Status finish_rootfs(const Spec& spec) {
  if (spec.linux_) {
    // Before readonlyPaths: those usually include /proc/sys.
    TRY(write_sysctls(spec.linux_->sysctl));
    for (const auto& path : spec.linux_->masked_paths)
      TRY_CTX(mask_path(path), "linux.maskedPaths \"{}\"", path);
    for (const auto& path : spec.linux_->readonly_paths) {
      TRY_CTX(make_readonly(path), "linux.readonlyPaths \"{}\"", path);
    }
    unsigned long p = propagation_flags(spec.linux_->rootfs_propagation);
    if (p != 0 && spec.has_namespace("mount")) {
      TRY_CTX(sys::mount("", "/", "", p, ""), "linux.rootfsPropagation");
    }
  }
  if (spec.root_readonly) TRY_CTX(remount_root_readonly(), "root.readonly");
  return ok();
}

Status release_host_mounts(const std::string& rootfs) {
  char resolved[PATH_MAX];
  std::string prefix =
      (::realpath(rootfs.c_str(), resolved) ? std::string(resolved) : sys::clean_path(rootfs)) +
      "/";
  auto mountinfo = TRY(sys::read_file("/proc/self/mountinfo"));
  std::vector<std::string> targets;
  for (const auto& line : split(mountinfo, '\n')) {
    auto fields = split(line, ' ');
    if (fields.size() < 5) continue;
    std::string target = unescape_mountinfo(fields[4]);
    if (target.starts_with(prefix)) targets.push_back(std::move(target));
  }
  // Mounts made later may sit on top of earlier ones: undo them in reverse. Detaching a
  // parent takes its children along, so theirs then fail with EINVAL or ENOENT.
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    if (::umount2(it->c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return fail_errno(errno, "umount \"{}\"", *it);
    }
  }
  return ok();
}

Status bind_console(int slave_fd) {
  auto console = TRY(sys::make_path_in_root(AT_FDCWD, "/dev/console", sys::NodeKind::File, 0600));
  return sys::mount(sys::fd_path(slave_fd), sys::fd_path(console.get()), "", MS_BIND, "");
}

}  // namespace quai::runtime
