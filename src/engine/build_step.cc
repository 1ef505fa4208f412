#include "engine/build_step.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <mutex>

#include "base/strings.h"
#include "engine/internal/setup.h"
#include "engine/user.h"
#include "runtime/container.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace quai::engine {
namespace {

// overlayfs takes its mount options in one page.
constexpr size_t kMaxOverlayOptions = 4000;

Result<std::string> overlay_options(const StepRoot& root, const std::vector<std::string>& lowers) {
  std::string lower;
  // overlayfs lists the top layer first; an image lists its base first.
  for (auto it = lowers.rbegin(); it != lowers.rend(); ++it) {
    if (!lower.empty()) lower += ':';
    lower += *it;
  }
  if (lower.empty()) lower = root.dir + "/empty";
  std::string options =
      "lowerdir=" + lower + ",upperdir=" + root.upper() + ",workdir=" + root.dir + "/work";
  if (options.size() > kMaxOverlayOptions) {
    return fail(Errc::Unsupported, "{} layers are more than one overlay mount can stack",
                lowers.size());
  }
  return options;
}

Status write_step_etc_files(const StepContainer& container, const std::string& dir) {
  TRY(sys::write_file(dir + "/hostname", container.record.hostname + "\n", 0644));
  TRY(sys::write_file(dir + "/hosts",
                      "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", 0644));
  auto resolv = sys::read_file("/etc/resolv.conf");
  return sys::write_file(dir + "/resolv.conf", resolv ? *resolv : std::string(), 0644);
}

Result<Json> step_spec(const StepRoot& root, const StepContainer& container,
                       const std::string& etc_dir) {
  sys::UniqueFd rootfs(::open(root.rootfs().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfs) return fail_errno(errno, "open \"{}\"", root.rootfs());
  const ContainerRecord& record = container.record;
  auto user = TRY_CTX(resolve_user(rootfs.get(), record.user), "USER \"{}\"", record.user);
  if (!record.working_dir.empty()) {
    TRY_CTX(sys::make_path_in_root(rootfs.get(), record.working_dir, sys::NodeKind::Directory),
            "WORKDIR \"{}\"", record.working_dir);
  }
  SpecInputs inputs{root.rootfs(), etc_dir, std::move(user), container.extra_mounts, "", ""};
  return build_oci_spec(record, inputs);
}

}  // namespace

Status enter_build_mount_namespace() {
  if (::unshare(CLONE_NEWNS) != 0) return fail_errno(errno, "unshare mount namespace");
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return fail_errno(errno, "make / private");
  return ok();
}

Result<StepRoot> mount_step_root(const std::string& dir,
                                 const std::vector<std::string>& lower_dirs) {
  StepRoot root{dir};
  for (const char* sub : {"rootfs", "upper", "work", "empty"}) {
    std::string path = dir + "/" + sub;
    if (::mkdir(path.c_str(), 0755) != 0) return fail_errno(errno, "mkdir \"{}\"", path);
  }
  std::string options = TRY(overlay_options(root, lower_dirs));
  if (::mount("overlay", root.rootfs().c_str(), "overlay", 0, options.c_str()) != 0)
    return fail_errno(errno, "mount overlay on \"{}\"", root.rootfs());
  return root;
}

Status mount_image_view(const std::string& path, const std::vector<std::string>& lower_dirs) {
  std::string lower;
  for (auto it = lower_dirs.rbegin(); it != lower_dirs.rend(); ++it) lower += *it + ":";
  // Without an upper dir overlayfs wants two lower dirs at least: empty ones make up.
  for (const char* pad : {"-pad1", "-pad2"}) {
    std::string dir = path + pad;
    if (::mkdir(dir.c_str(), 0755) != 0) return fail_errno(errno, "mkdir \"{}\"", dir);
    lower += dir + ":";
  }
  lower.pop_back();
  if (lower.size() > kMaxOverlayOptions)
    return fail(Errc::Unsupported, "{} layers are more than one overlay mount can stack",
                lower_dirs.size());
  if (::mkdir(path.c_str(), 0755) != 0) return fail_errno(errno, "mkdir \"{}\"", path);
  std::string options = "lowerdir=" + lower;
  if (::mount("overlay", path.c_str(), "overlay", MS_RDONLY, options.c_str()) != 0)
    return fail_errno(errno, "mount overlay on \"{}\"", path);
  return ok();
}

void unmount_step(const StepRoot& root) {
  auto mountinfo = sys::read_file("/proc/self/mountinfo");
  std::vector<std::string> points;
  for (const auto& line : split(mountinfo ? *mountinfo : "", '\n')) {
    auto fields = split(line, ' ');
    // Field 5 is the mount point (octal escapes aside: build dirs have plain names).
    if (fields.size() > 4 && (fields[4] == root.dir || fields[4].starts_with(root.dir + "/")))
      points.push_back(fields[4]);
  }
  // Deepest first: later lines are mounted on top of earlier ones.
  for (auto it = points.rbegin(); it != points.rend(); ++it)
    (void)::umount2(it->c_str(), MNT_DETACH);
}

Result<int> run_step_container(Engine& engine, const StepRoot& root,
                               const StepContainer& container) {
  std::string etc_dir = root.dir + "/etc";
  if (::mkdir(etc_dir.c_str(), 0755) != 0 && errno != EEXIST)
    return fail_errno(errno, "mkdir \"{}\"", etc_dir);
  TRY(write_step_etc_files(container, etc_dir));
  Json spec = TRY(step_spec(root, container, etc_dir));

  runtime::CreateOptions options;
  options.id = container.id;
  options.bundle = root.dir;
  options.config_text = spec.dump();
  options.stdio = container.stdio;
  Result<runtime::Launched> launched = std::unexpected(Error(Errc::Internal, "not launched"));
  Status started;
  {
    // Stages run in parallel threads. Until its exec, a new init holds copies of every fd
    // of this process, another step's state lock among them: one launch at a time.
    static std::mutex launching;
    std::lock_guard lock(launching);
    launched = runtime::create_container(engine.runtime_options(), options);
    if (!launched) return std::unexpected(launched.error());
    started = runtime::start_created(*launched);
  }
  auto code =
      started ? sys::wait_exit_code(launched->pid) : Result<int>(std::unexpected(started.error()));
  auto deleted = runtime::delete_container(engine.runtime_options(), container.id, true);
  if (!code) return code;
  if (!deleted) return std::unexpected(deleted.error());
  return *code;
}

}  // namespace quai::engine
