// The instructions that add a layer: RUN, COPY, ADD (build/internal/session.h).

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "base/sha256.h"
#include "base/strings.h"
#include "build/internal/run_mounts.h"
#include "build/internal/session.h"
#include "engine/user.h"
#include "image/layer.h"
#include "sys/fs.h"
#include "sys/syscalls.h"

namespace quai::build::internal {
namespace {

using Clock = std::chrono::steady_clock;

std::string basename_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The RUN command: the exec form as given; the shell form through SHELL, with heredoc
// bodies appended so the shell reads them as it would from a script.
std::vector<std::string> run_command(const Instruction& instruction,
                                     const std::vector<std::string>& shell) {
  if (instruction.json_form) return instruction.args;
  std::string script = instruction.args.empty() ? "" : instruction.args[0];
  if (instruction.heredocs.size() == 1 && trim(script).starts_with("<<") &&
      trim(script).find_first_of(" \t") == std::string_view::npos) {
    script = instruction.heredocs[0].content;  // `RUN <<EOF`: the body is the script
  } else {
    for (const auto& heredoc : instruction.heredocs)
      script += "\n" + heredoc.content + heredoc.name;
  }
  std::vector<std::string> command = shell;
  command.push_back(script);
  return command;
}

// The paths a step's mounts will create in the root: for each target, from its first
// missing component down. Resolved inside the root, so an image's symlinks stay in it.
std::vector<std::string> mount_stubs(const std::string& rootfs,
                                     const std::vector<std::string>& targets) {
  sys::UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  std::vector<std::string> stubs;
  for (const auto& target : targets) {
    std::string prefix;
    bool missing = false;
    for (const auto& part : split(target, '/')) {
      if (part.empty() || part == ".") continue;
      prefix += "/" + part;
      if (!missing) {
        auto found =
            sys::openat2(root.get(), prefix, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        missing = !found && found.error().sys_errno() == ENOENT;
      }
      if (missing && std::ranges::find(stubs, prefix) == stubs.end()) stubs.push_back(prefix);
    }
  }
  return stubs;
}

// As BuildKit: what a mount created and left empty is not part of the layer.
void remove_mount_stubs(const std::string& rootfs, const std::vector<std::string>& stubs) {
  sys::UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  for (auto it = stubs.rbegin(); it != stubs.rend(); ++it) {
    size_t slash = it->rfind('/');
    std::string parent = slash == 0 ? "/" : it->substr(0, slash), name = it->substr(slash + 1);
    auto dir = sys::openat2(root.get(), parent, O_PATH | O_DIRECTORY,
                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
    struct stat st;
    if (!dir || ::fstatat(dir->get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (S_ISDIR(st.st_mode)) (void)::unlinkat(dir->get(), name.c_str(), AT_REMOVEDIR);
    if (S_ISREG(st.st_mode) && st.st_size == 0) (void)::unlinkat(dir->get(), name.c_str(), 0);
  }
}

// Reads the step's output and shows it line by line until every writer is gone.
class OutputPump {
 public:
  OutputPump(Progress& progress, int step, int fd)
      : thread_([&progress, step, fd, started = Clock::now()] {
          std::string pending;
          char buffer[4096];
          for (;;) {
            ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            pending.append(buffer, static_cast<size_t>(n));
            size_t newline;
            while ((newline = pending.find('\n')) != std::string::npos) {
              progress.output(step, Clock::now() - started, pending.substr(0, newline));
              pending.erase(0, newline + 1);
            }
          }
          if (!pending.empty()) progress.output(step, Clock::now() - started, pending);
        }) {}
  ~OutputPump() { thread_.join(); }

 private:
  std::thread thread_;
};

Result<std::string> network_mode(const Instruction& instruction, const std::string& build_default) {
  std::string network = instruction.flag("network").value_or(build_default);
  if (network == "default" || network == "host" || network.empty()) return std::string("host");
  if (network == "none") return network;
  return fail(Errc::InvalidArgument, "--network={}: expected default, host or none", network);
}

}  // namespace

Result<std::string> Session::step_dir() {
  std::string dir = fmt::format("{}/{}", work_dir, next_container++);
  if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno(errno, "mkdir \"{}\"", dir);
  return dir;
}

Result<image::ImageRecord> Session::source_image(const Stage& stage, const std::string& name) {
  if (auto index = find_stage(plan->stages, to_lower(name), stage.index))
    return stage_results[*index].get();
  return store().find(name);
}

Status StageBuilder::layer_step(const Instruction& instruction, const std::string& key_material,
                                const std::string& created_by,
                                const std::function<Status(const engine::StepRoot&, int)>& make) {
  int step = begin_step(instruction);
  std::string key = next_key(key_material + "\n" + draft_->container_config().dump());
  if (!session_.options->no_cache) {
    if (auto cached = session_.store().cached_step(key)) {
      draft_ = TRY(image::ImageDraft::from_image(session_.store(), *cached));
      image_ = *cached;
      key_ = key;
      dirty_ = false;
      pending_dirs_.clear();
      session_.progress->cached(step);
      ++session_.steps_cached;
      return ok();
    }
  }
  auto started = Clock::now();
  std::string dir = TRY(session_.step_dir());
  auto root = TRY(engine::mount_step_root(dir, lower_dirs()));
  Status made = [&]() -> Status {
    sys::UniqueFd rootfs(::open(root.rootfs().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootfs) return fail_errno(errno, "open \"{}\"", root.rootfs());
    for (const auto& path : pending_dirs_)
      TRY_CTX(sys::make_path_in_root(rootfs.get(), path, sys::NodeKind::Directory), "WORKDIR {}",
              path);
    return make(root, step);
  }();
  engine::unmount_step(root);
  if (!made) {
    session_.progress->failed(step, made.error().to_string());
    return fail(error_at(instruction, made.error()));
  }
  sys::UniqueFd upper(::open(root.upper().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!upper) return fail_errno(errno, "open \"{}\"", root.upper());
  TRY(draft_->add_layer(session_.store(), upper.get(), created_by));
  auto written = TRY(draft_->write(session_.store()));
  TRY(session_.store().remember_step(key, written));
  (void)sys::remove_tree(dir);
  image_ = written;
  key_ = key;
  dirty_ = false;
  pending_dirs_.clear();
  ++session_.steps_run;
  session_.progress->done(step, Clock::now() - started);
  return ok();
}

Status StageBuilder::on_run(const Instruction& instruction) {
  std::vector<std::string> command = run_command(instruction, shell());
  std::string network = TRY(network_mode(instruction, session_.options->network));
  auto mounts = TRY(
      parse_run_mounts(instruction, [&](const std::string& w) { return expand(instruction, w); }));
  std::vector<std::string> arg_env = build_arg_env();
  std::string material = fmt::format("RUN {} network={} mounts={} args={}", Json(command).dump(),
                                     network, describe_mounts(mounts), Json(arg_env).dump());
  auto inputs = describe_mount_inputs(session_, stage_, mounts);
  if (!inputs) return fail(error_at(instruction, inputs.error()));
  material += *inputs;
  std::string created_by =
      instruction.json_form ? "RUN " + Json(command).dump() : join(command, " ");
  return layer_step(
      instruction, material, created_by, [&](const engine::StepRoot& root, int step) -> Status {
        engine::StepContainer container;
        container.id =
            fmt::format("{}-{}", basename_of(session_.work_dir), session_.next_container++);
        auto& record = container.record;
        record.id = container.id;
        record.hostname = "quai-build";
        record.user = config().value("User", std::string());
        record.working_dir = config().value("WorkingDir", std::string());
        if (config().contains("Env") && config()["Env"].is_array()) {
          for (const auto& e : config()["Env"])
            if (e.is_string()) record.env.push_back(e.get<std::string>());
        }
        record.env.insert(record.env.end(), arg_env.begin(), arg_env.end());
        record.cmd = command;
        record.network_mode = network;
        container.extra_mounts = TRY(resolve_run_mounts(session_, stage_, mounts, root));
        std::vector<std::string> targets = {"/etc/resolv.conf", "/etc/hosts", "/etc/hostname"};
        for (const auto& m : container.extra_mounts) targets.push_back(m.destination);
        std::vector<std::string> stubs = mount_stubs(root.rootfs(), targets);
        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
        sys::UniqueFd read_end(pipe_fds[0]);
        sys::UniqueFd write_end(pipe_fds[1]);
        sys::UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        container.stdio = {null.get(), write_end.get(), write_end.get()};
        Result<int> code = 0;
        {
          OutputPump pump(*session_.progress, step, read_end.get());
          code = engine::run_step_container(*session_.engine, root, container);
          write_end.reset();
        }
        if (!code) return std::unexpected(code.error());
        remove_mount_stubs(root.rootfs(), stubs);
        if (*code != 0) {
          return fail(Errc::InvalidArgument,
                      "process \"{}\" did not complete successfully: exit code: {}",
                      join(command, " "), *code);
        }
        return ok();
      });
}

}  // namespace quai::build::internal
