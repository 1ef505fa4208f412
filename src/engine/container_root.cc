#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "engine/internal/container_root.h"
#include "engine/internal/setup.h"
#include "engine/volumes.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace quai::engine::internal {
namespace {

bool is_running(const ContainerRunState& state) {
  return (state.status == RunStatus::Running || state.status == RunStatus::Paused) &&
         state.pid > 0 && sys::is_same_process_alive(state.pid, state.pid_start_time);
}

// Mount points are not made: a copy out of a stopped container must not change it.
Status mount_volumes(Engine& engine, const ContainerRecord& record, int root_fd) {
  for (const auto& m : record.mounts) {
    std::string source = m.source;
    if (m.type == "volume") {
      auto volume = find_volume(engine, m.source);
      if (!volume) continue;
      source = volume->data_path;
    } else if (m.type != "bind") {
      continue;
    }
    auto target = sys::open_in_root(root_fd, m.target);
    if (!target) continue;
    std::string at = sys::fd_path(target->get());
    if (::mount(source.c_str(), at.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
      return fail_errno(errno, "bind \"{}\" on \"{}\"", source, m.target);
  }
  return ok();
}

Status work_in_child(Engine& engine, const ContainerView& view, RootAccess access,
                     const std::function<Status(int root_fd)>& work) {
  TRY(mount_container_root(engine, view.record, access == RootAccess::Read));
  std::string rootfs = engine.container_dir(view.record.id) + "/rootfs";
  sys::UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno(errno, "open \"{}\"", rootfs);
  TRY(mount_volumes(engine, view.record, root.get()));
  // Mounts on the root's own directory need it opened again to be seen.
  root.reset(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno(errno, "open \"{}\"", rootfs);
  return work(root.get());
}

// "<code>\n<chain>": the child's error, as the parent rebuilds it (the chain already
// holds the errno's text).
std::string encode(const Error& error) {
  return fmt::format("{}\n{}", static_cast<int>(error.code()), error.to_string());
}

Error decode(const std::string& text) {
  int code = 0;
  size_t newline = text.find('\n');
  if (newline == std::string::npos || std::sscanf(text.c_str(), "%d", &code) != 1 || code < 0 ||
      code > static_cast<int>(Errc::Internal)) {
    return Error(Errc::Internal, "the copy process failed without a word");
  }
  return Error(static_cast<Errc>(code), text.substr(newline + 1));
}

Status in_child_process(Engine& engine, const ContainerView& view, RootAccess access,
                        const std::function<Status(int root_fd)>& work) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  sys::UniqueFd read_end(pipe_fds[0]);
  sys::UniqueFd write_end(pipe_fds[1]);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno(errno, "fork");
  if (pid == 0) {
    read_end.reset();
    auto done = work_in_child(engine, view, access, work);
    if (!done) (void)sys::write_all(write_end.get(), encode(done.error()));
    ::_exit(done ? 0 : 1);
  }
  write_end.reset();
  auto report = sys::read_all(read_end.get());
  int code = TRY(sys::wait_exit_code(pid));
  if (code == 0) return ok();
  if (report && !report->empty()) return fail(decode(*report));
  return fail(Errc::Internal, "the copy process ended with status {}", code);
}

}  // namespace

Status with_container_root(Engine& engine, const ContainerView& view, RootAccess access,
                           const std::function<Status(int root_fd)>& work) {
  if (is_running(view.state)) {
    std::string proc_root = fmt::format("/proc/{}/root", view.state.pid);
    sys::UniqueFd root(::open(proc_root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return fail_errno(errno, "open \"{}\"", proc_root);
    // The pid may have been reused between the check and the open.
    if (sys::is_same_process_alive(view.state.pid, view.state.pid_start_time))
      return work(root.get());
  }
  auto lock = TRY(engine.lock_container(view.record.id));
  return in_child_process(engine, view, access, work);
}

}  // namespace quai::engine::internal
