#include "engine/lifecycle.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "engine/internal/frames.h"
#include "engine/internal/publishing.h"
#include "engine/monitor.h"
#include "engine/volumes.h"
#include "sys/process.h"
#include "sys/syscalls.h"

namespace quai::engine {
namespace {

using internal::Frame;

bool is_live(const ContainerRunState& state) {
  return state.status == RunStatus::Running || state.status == RunStatus::Paused ||
         state.status == RunStatus::Restarting;
}

// Waits for a process to end, at most `timeout`; true when it did.
bool wait_gone(pid_t pid, uint64_t start_time, std::chrono::milliseconds timeout) {
  if (pid <= 0 || !sys::is_same_process_alive(pid, start_time)) return true;
  auto pidfd = sys::pidfd_open(pid);
  if (!pidfd) return true;
  struct pollfd p {
    pidfd->get(), POLLIN, 0
  };
  int ms = timeout.count() < 0 ? -1 : static_cast<int>(timeout.count());
  while (true) {
    int ready = ::poll(&p, 1, ms);
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

// Waits until the monitor has recorded the end (it exits after that), or, when the
// monitor is gone, until the container's init is.
bool wait_stopped(const ContainerRunState& state, std::chrono::milliseconds timeout) {
  if (state.monitor_pid > 0 &&
      sys::is_same_process_alive(state.monitor_pid, state.monitor_start_time)) {
    return wait_gone(state.monitor_pid, state.monitor_start_time, timeout);
  }
  return wait_gone(state.pid, state.pid_start_time, timeout);
}

Status mark_stopped_by_user(Engine& engine, const ContainerView& view) {
  return engine.update_state(view.record.id,
                             [](ContainerRunState& state) { state.stopped_by_user = true; });
}

Status signal_init(const ContainerRunState& state, int signal) {
  if (state.pid <= 0 || !sys::is_same_process_alive(state.pid, state.pid_start_time)) return ok();
  auto pidfd = TRY(sys::pidfd_open(state.pid));
  return sys::pidfd_send_signal(pidfd.get(), signal);
}

}  // namespace

Status require_running(const ContainerView& view) {
  if (view.state.status == RunStatus::Running || view.state.status == RunStatus::Paused)
    return ok();
  return fail(Errc::Busy, "container {} is not running",
              view.record.name.empty() ? view.record.id : view.record.name);
}

int start_failure_exit_code(const Error& error) {
  auto text = error.message();
  if (text.size() > 4 && text[3] == ' ' && (text.starts_with("126") || text.starts_with("127"))) {
    return std::stoi(text.substr(0, 3));
  }
  return 125;
}

Result<sys::UniqueFd> start_container(Engine& engine, const ContainerView& view) {
  if (is_live(view.state))
    return fail(Errc::Busy, "container {} is already running", view.record.name);
  auto socket = TRY(spawn_monitor(engine, view.record));
  internal::ReceivedFrame frame;
  if (!internal::receive_frame(socket.get(), frame)) {
    return fail(Errc::Internal, "start {}: the monitor exited without a word", view.record.name);
  }
  if (frame.type == Frame::Error) {
    // "<code> <message>": the code travels in the message for start_failure_exit_code.
    return fail(Errc::Internal, "{}", frame.payload);
  }
  return socket;
}

Status stop_container(Engine& engine, const ContainerView& view, std::optional<int> timeout) {
  if (!is_live(view.state)) return ok();
  TRY(mark_stopped_by_user(engine, view));
  int signal = SIGTERM;
  if (!view.record.stop_signal.empty())
    signal = TRY(runtime::parse_signal(view.record.stop_signal));
  TRY(signal_init(view.state, signal));
  auto grace = std::chrono::seconds(timeout.value_or(view.record.stop_timeout));
  if (wait_stopped(view.state, grace)) return ok();
  TRY(signal_init(view.state, SIGKILL));
  wait_stopped(view.state, std::chrono::milliseconds(-1));
  return ok();
}

Status kill_container(Engine& engine, const ContainerView& view, int signal) {
  if (!is_live(view.state)) {
    return fail(Errc::InvalidArgument, "cannot kill container: {}: container {} is not running",
                view.record.name, view.record.id);
  }
  TRY(mark_stopped_by_user(engine, view));
  return signal_init(view.state, signal);
}

Status remove_container(Engine& engine, const ContainerView& view, bool force,
                        bool remove_volumes) {
  if (is_live(view.state)) {
    if (!force) {
      return fail(Errc::Busy,
                  "cannot remove container \"/{}\": container is running: stop the container "
                  "before removing or force remove",
                  view.record.name);
    }
    TRY(mark_stopped_by_user(engine, view));
    TRY(signal_init(view.state, SIGKILL));
    wait_stopped(view.state, std::chrono::milliseconds(-1));
  }
  {
    auto lock = TRY(engine.lock_container(view.record.id));
    // A monitor killed while it started or ran the container leaves the runtime's side
    // (an init waiting to start holds the network namespace), its attach socket, forwarded
    // ports and claims; a monitor that ended has removed them, and these find nothing.
    (void)runtime::delete_container(engine.runtime_options(), view.record.id, true);
    ::unlink(engine.attach_socket(view.record.id).c_str());
    // A monitor that ended cleared its ports from the state: read again only when there
    // were some.
    if (!view.state.ports.empty()) {
      auto state = engine.read_recorded_state(view.record.id);
      internal::release_orphan_ports(engine, state ? state->ports : view.state.ports);
    }
    internal::release_dead_claims(engine, view.record);
    TRY(engine.remove_container_files(view.record));
  }
  if (remove_volumes) {
    for (const auto& m : view.record.mounts) {
      if (m.type != "volume") continue;
      if (auto volume = find_volume(engine, m.source); volume && volume->anonymous) {
        (void)remove_volume(engine, m.source, false);
      }
    }
  }
  return ok();
}

Result<int> wait_container(Engine& engine, std::string_view name_or_id) {
  while (true) {
    auto view = TRY(engine.find_container(name_or_id));
    if (!is_live(view.state) && view.state.status != RunStatus::Created)
      return view.state.exit_code;
    if (view.state.status == RunStatus::Created || view.state.status == RunStatus::Restarting) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    wait_stopped(view.state, std::chrono::milliseconds(-1));
  }
}

}  // namespace quai::engine
