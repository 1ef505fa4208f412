#include "engine/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "engine/internal/frames.h"
#include "engine/internal/networking.h"
#include "engine/internal/publishing.h"
#include "engine/internal/setup.h"
#include "engine/logs.h"
#include "engine/spec_builder.h"
#include "engine/user.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"
#include "sys/syscalls.h"
#include "sys/unix_socket.h"

namespace quai::engine {
namespace {

using internal::Frame;

// The container's stdio as the monitor holds it: pipe ends, or the pty master.
struct Stdio {
  sys::UniqueFd out;
  sys::UniqueFd err;
  sys::UniqueFd in;
};

Status redirect(int from, int to) {
  if (::dup2(from, to) < 0) return fail_errno(errno, "dup2");
  return ok();
}

// A file's inode and modification time: `network connect` and `disconnect` replace the
// record (write, then rename), which changes both.
using FileStamp = std::pair<ino_t, int64_t>;
std::optional<FileStamp> stamp_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return std::nullopt;
  return FileStamp{info.st_ino, info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec};
}

Result<sys::UniqueFd> listen_attach_socket(const std::string& path) {
  sys::UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  struct sockaddr_un address {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path)
    return fail(Errc::InvalidArgument, "socket path too long: {}", path);
  path.copy(address.sun_path, path.size());
  ::unlink(path.c_str());
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd.get(), 8) != 0) {
    return fail_errno(errno, "listen on \"{}\"", path);
  }
  return fd;
}

class Monitor {
 public:
  Monitor(Engine& engine, ContainerRecord record, sys::UniqueFd client)
      : engine_(engine), record_(std::move(record)) {
    clients_.push_back(std::move(client));
  }

  int run();

 private:
  Result<runtime::Launched> create(Stdio& stdio, internal::NamespaceSetup* network);
  /// Waits before a restart; false when the user stopped the container meanwhile.
  bool back_off();
  /// Before a restart: the networks `network connect` and `disconnect` changed meanwhile.
  Status rejoin_networks();
  /// The networks `network connect` and `disconnect` changed since the record was read.
  void reread_networks();
  /// Gives back the claims this monitor holds; the ones given back.
  std::vector<internal::Endpoint> leave_networks();
  /// For a container that joins networks: its namespace, being made (none otherwise).
  Result<std::unique_ptr<internal::NamespaceSetup>> start_network();
  Status start();
  int supervise(runtime::Launched& launched, Stdio& stdio);
  void relay_output(int fd, std::string_view stream, Frame frame);
  void handle_client(size_t index, Stdio& stdio);
  bool should_restart(int exit_code);
  void update_state(const std::function<void(ContainerRunState&)>& change) {
    (void)engine_.update_state(record_.id, change);
  }
  void broadcast(Frame frame, std::string_view payload);
  /// Records a failed start; the error frame goes out from finish().
  void fail_start(const Error& error);
  /// Unmounts, removes an --rm container, then tells the clients how it ended.
  int finish(int exit_code);

  Engine& engine_;
  ContainerRecord record_;
  std::vector<sys::UniqueFd> clients_;
  sys::UniqueFd listener_;
  std::optional<LogWriter> log_;
  int restart_count_ = 0;
  std::optional<std::string> start_error_;  // "<exit code> <message>"
  std::vector<internal::Endpoint> endpoints_;
  std::optional<FileStamp> record_stamp_;  // when record_ was read
  std::vector<internal::PortReservation> ports_;
};

void Monitor::broadcast(Frame frame, std::string_view payload) {
  for (auto& client : clients_) {
    if (client && !internal::send_frame(client.get(), frame, payload)) client.reset();
  }
}

Result<runtime::Launched> Monitor::create(Stdio& stdio, internal::NamespaceSetup* network) {
  std::string dir = engine_.container_dir(record_.id);
  sys::UniqueFd rootfs(::open((dir + "/rootfs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!rootfs) return fail_errno(errno, "open rootfs");
  auto user = TRY_CTX(resolve_user(rootfs.get(), record_.user), "image \"{}\": User \"{}\"",
                      record_.image, record_.user);
  if (!record_.working_dir.empty()) {
    // As Docker: a missing working directory is made, inside the container's root.
    TRY_CTX(sys::make_path_in_root(rootfs.get(), record_.working_dir, sys::NodeKind::Directory),
            "image \"{}\": WorkingDir \"{}\"", record_.image, record_.working_dir);
  }
  auto mounts = TRY(internal::resolve_mounts(engine_, record_, rootfs.get()));
  SpecInputs inputs{dir + "/rootfs", dir, std::move(user), std::move(mounts), "", ""};
  if (record_.init) inputs.init_binary = TRY(internal::find_init_binary());
  inputs.network_namespace = network != nullptr
                                 ? network->path()
                                 : TRY(internal::shared_network_namespace(engine_, record_));
  auto spec = TRY(build_oci_spec(record_, inputs));

  if (network != nullptr) TRY(network->ready());  // before the runtime opens its path

  runtime::CreateOptions options;
  options.id = record_.id;
  options.bundle = dir;
  // Kept by the runtime in its state dir (run root/runtime/<id>/config.json), on tmpfs.
  options.config_text = spec.dump();
  int child_fds[3] = {-1, -1, -1};
  sys::UniqueFd console_peer;
  if (record_.tty) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
      return fail_errno(errno, "socketpair");
    stdio.out = sys::UniqueFd(pair[0]);
    console_peer = sys::UniqueFd(pair[1]);
    options.console_socket_fd = console_peer.get();
  } else {
    int out[2], err[2], in[2] = {-1, -1};
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
      return fail_errno(errno, "pipe");
    if (record_.open_stdin && ::pipe2(in, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
    stdio.out = sys::UniqueFd(out[0]);
    stdio.err = sys::UniqueFd(err[0]);
    stdio.in = sys::UniqueFd(in[1]);
    child_fds[0] = in[0];
    child_fds[1] = out[1];
    child_fds[2] = err[1];
  }
  // The runtime's init inherits fds 0-2 from us; ours are /dev/null outside this window.
  for (int i = 0; i < 3; ++i) {
    if (child_fds[i] >= 0) TRY(redirect(child_fds[i], i));
  }
  auto launched = runtime::create_container(engine_.runtime_options(), options);
  sys::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  for (int i = 0; i < 3; ++i) {
    if (child_fds[i] >= 0) {
      (void)redirect(null.get(), i);
      ::close(child_fds[i]);
    }
  }
  if (!launched) return launched;
  if (record_.tty) {
    stdio.out = TRY(sys::receive_fd(stdio.out.get()));
    stdio.in = sys::UniqueFd(::fcntl(stdio.out.get(), F_DUPFD_CLOEXEC, 3));
  }
  return launched;
}

void Monitor::fail_start(const Error& error) {
  // Docker's exit codes: 127 the command was not found, 126 it cannot be run, 125 the
  // engine failed.
  int code = 125;
  if (error.message().find("executable file not found") != std::string::npos ||
      error.message().find("no such file") != std::string::npos) {
    code = 127;
  } else if (error.code() == Errc::NotFound &&
             error.to_string().find("exec") != std::string::npos) {
    code = 127;
  } else if (error.code() == Errc::PermissionDenied) {
    code = 126;
  }
  std::string text = error.to_string();
  update_state([&](ContainerRunState& s) {
    s.status = restart_count_ > 0 ? RunStatus::Exited : RunStatus::Created;
    s.exit_code = code;
    s.error = text;
    s.pid = 0;
  });
  start_error_ = fmt::format("{} {}", code, text);
}

void Monitor::relay_output(int fd, std::string_view stream, Frame frame) {
  char buffer[internal::kMaxFramePayload];
  ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n <= 0) return;
  std::string_view data(buffer, static_cast<size_t>(n));
  log_->write(stream, data);
  broadcast(frame, data);
}

void Monitor::handle_client(size_t index, Stdio& stdio) {
  internal::ReceivedFrame frame;
  if (!internal::receive_frame(clients_[index].get(), frame)) {
    clients_[index].reset();
    return;
  }
  if (frame.type == Frame::Stdin && stdio.in) {
    (void)sys::write_all(stdio.in.get(), frame.payload);
  } else if (frame.type == Frame::StdinEof && !record_.tty) {
    stdio.in.reset();
  } else if (frame.type == Frame::Resize && record_.tty) {
    struct winsize size {};
    if (std::sscanf(frame.payload.c_str(), "%hu %hu", &size.ws_row, &size.ws_col) == 2) {
      ::ioctl(stdio.out.get(), TIOCSWINSZ, &size);
    }
  }
}

int Monitor::supervise(runtime::Launched& launched, Stdio& stdio) {
  bool exited = false;
  int exit_code = 0;
  while (true) {
    std::vector<pollfd> fds;
    fds.push_back({launched.pidfd.get(), exited ? short(0) : short(POLLIN), 0});
    fds.push_back({stdio.out.get(), POLLIN, 0});
    fds.push_back({stdio.err.get(), POLLIN, 0});
    fds.push_back({listener_.get(), POLLIN, 0});
    for (auto& client : clients_) fds.push_back({client.get(), POLLIN, 0});
    // After the exit, drain what is left in the pipes without waiting for writers that
    // may never close them.
    int ready = ::poll(fds.data(), fds.size(), exited ? 0 : -1);
    if (ready < 0 && errno == EINTR) continue;
    bool output_seen = false;
    if (fds[1].revents & POLLIN)
      relay_output(stdio.out.get(), "stdout", Frame::Stdout), output_seen = true;
    if (fds[2].revents & POLLIN)
      relay_output(stdio.err.get(), "stderr", Frame::Stderr), output_seen = true;
    if ((fds[1].revents & (POLLHUP | POLLERR)) && !(fds[1].revents & POLLIN)) stdio.out.reset();
    if ((fds[2].revents & (POLLHUP | POLLERR)) && !(fds[2].revents & POLLIN)) stdio.err.reset();
    if (fds[3].revents & POLLIN) {
      int client = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) clients_.emplace_back(client);
    }
    for (size_t i = 4; i < fds.size(); ++i) {
      if (fds[i].revents & (POLLIN | POLLHUP)) handle_client(i - 4, stdio);
    }
    std::erase_if(clients_, [](const sys::UniqueFd& c) { return !c.valid(); });
    if (!exited && (fds[0].revents & POLLIN)) {
      exited = true;
      exit_code = sys::wait_exit_code(launched.pid).value_or(255);
      continue;
    }
    if (exited && !output_seen) break;
  }
  log_->flush();
  return exit_code;
}

bool Monitor::should_restart(int exit_code) {
  const auto& policy = record_.restart;
  if (policy.name == "no" || policy.name.empty()) return false;  // as --rm always is
  auto state = engine_.read_recorded_state(record_.id);
  bool stopped = state && state->stopped_by_user;
  if (stopped) return false;
  if (policy.name == "on-failure") {
    return exit_code != 0 && (policy.max_retries == 0 || restart_count_ < policy.max_retries);
  }
  return policy.name == "always" || policy.name == "unless-stopped";
}

bool Monitor::back_off() {
  // Docker's: 100 ms, doubling per restart, at most a minute. The state is looked at every
  // 50 ms: a user who stops the container meanwhile is not kept waiting for the restart.
  auto delay = std::min<std::chrono::milliseconds>(
      std::chrono::milliseconds(100) * (1 << std::min(restart_count_, 10)),
      std::chrono::minutes(1));
  auto until = std::chrono::steady_clock::now() + delay;
  while (true) {
    auto state = engine_.read_recorded_state(record_.id);
    if (state && state->stopped_by_user) return false;
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
}

void Monitor::reread_networks() {
  record_stamp_ = stamp_of(engine_.record_path(record_.id));
  if (auto fresh = engine_.read_record(record_.id); fresh) {
    record_.more_networks = fresh->more_networks;
    record_.left_network_mode = fresh->left_network_mode;
    record_.ipv4_address = fresh->ipv4_address;
    record_.network_aliases = fresh->network_aliases;
  }
}

std::vector<internal::Endpoint> Monitor::leave_networks() {
  if (!internal::joins_networks(record_)) return {};  // none, host, container:ID
  // Unless `network connect` or a failed claim left claims it does not list, endpoints_
  // says what to give back, without a listing or the record read again.
  bool listed = endpoints_.size() == internal::attachments(record_).size();
  if (listed && record_stamp_ && stamp_of(engine_.record_path(record_.id)) == record_stamp_)
    return internal::release_endpoints(engine_, endpoints_);
  reread_networks();
  return internal::release_own_claims(engine_, record_);
}

Status Monitor::rejoin_networks() {
  reread_networks();
  auto before = std::move(endpoints_);
  endpoints_ = TRY(internal::claim_endpoints(engine_, record_));
  TRY(internal::write_hosts_files(engine_, record_, endpoints_, internal::HostsUpdate::Own));
  // The others know it on the networks it stayed on (its claims there are the same).
  std::vector<internal::Endpoint> joined;
  for (const auto& endpoint : endpoints_) {
    bool kept = std::ranges::any_of(before, [&](const internal::Endpoint& old) {
      return old.network.id == endpoint.network.id && old.address == endpoint.address;
    });
    if (!kept) joined.push_back(endpoint);
  }
  return internal::write_hosts_files(engine_, record_, joined, internal::HostsUpdate::Announce);
}

Result<std::unique_ptr<internal::NamespaceSetup>> Monitor::start_network() {
  if (endpoints_.empty()) return nullptr;
  return internal::NamespaceSetup::start(engine_, record_, endpoints_);
}

int Monitor::run() {
  auto log = LogWriter::open(engine_.log_path(record_.id));
  if (log) log_.emplace(std::move(*log));
  // The record as the CLI wrote it; only leave_networks() looks, for a container on networks.
  if (internal::joins_networks(record_)) record_stamp_ = stamp_of(engine_.record_path(record_.id));
  auto listener = listen_attach_socket(engine_.attach_socket(record_.id));
  if (listener) listener_ = std::move(*listener);
  if (auto root = internal::mount_container_root(engine_, record_); !root || !log) {
    fail_start(!root ? root.error() : log.error());
    return finish(-1);
  }
  auto endpoints = internal::claim_endpoints(engine_, record_);
  if (!endpoints) {
    fail_start(endpoints.error());
    return finish(-1);
  }
  endpoints_ = std::move(*endpoints);
  auto ports = internal::reserve_ports(record_);
  if (!ports) {
    fail_start(ports.error());
    return finish(-1);
  }
  ports_ = std::move(*ports);
  // The namespace and its veths are made in a thread while the rest goes on.
  auto network = start_network();
  if (!network) {
    fail_start(network.error());
    return finish(-1);
  }
  // Recorded before anything is forwarded: whoever finds this monitor dead removes them.
  if (!ports_.empty())
    update_state([&](ContainerRunState& s) { s.ports = internal::published(ports_); });
  if (auto etc = internal::write_etc_files(engine_, record_, endpoints_); !etc) {
    fail_start(etc.error());
    return finish(-1);
  }
  int exit_code = 0;
  while (true) {
    Stdio stdio;
    if (!*network) network = start_network();  // a restart: a new namespace
    if (!network) {
      fail_start(network.error());
      exit_code = -1;
      break;
    }
    auto launched = create(stdio, network->get());
    if (launched) {
      // The container's init is in the namespace and nothing of it runs yet: its network
      // is ready before its program starts.
      Status started = *network ? (*network)->wait() : ok();
      network->reset();  // the init holds the namespace now
      if (started) started = internal::publish_ports(engine_, ports_, endpoints_);
      if (started) started = runtime::start_created(*launched);
      if (!started) {
        (void)runtime::delete_container(engine_.runtime_options(), record_.id, true);
        launched = std::unexpected(started.error());
      }
    }
    if (!launched) {
      (void)runtime::delete_container(engine_.runtime_options(), record_.id, true);
      fail_start(launched.error());
      exit_code = -1;
      break;
    }
    uint64_t start_time = sys::process_start_time(launched->pid).value_or(0);
    update_state([&](ContainerRunState& s) {
      s = ContainerRunState{};
      s.status = RunStatus::Running;
      s.pid = launched->pid;
      s.pid_start_time = start_time;
      s.monitor_pid = ::getpid();
      s.monitor_start_time = sys::own_start_time();
      s.started_at = rfc3339_now();
      s.restart_count = restart_count_;
      s.ports = internal::published(ports_);
    });
    broadcast(Frame::Started, std::to_string(launched->pid));
    exit_code = supervise(*launched, stdio);
    // With --rm the runtime's side (cgroups, state) goes after the answer, in finish().
    if (record_.auto_remove) break;  // no restart policy with --rm; its state goes unread
    (void)runtime::delete_container(engine_.runtime_options(), record_.id, true);
    bool restart = should_restart(exit_code);
    update_state([&](ContainerRunState& s) {
      s.status = restart ? RunStatus::Restarting : RunStatus::Exited;
      s.exit_code = exit_code;
      s.pid = 0;
      s.finished_at = rfc3339_now();
      if (!restart) s.monitor_pid = 0;
      if (!restart) s.ports.clear();
    });
    if (!restart) break;
    ++restart_count_;
    if (!back_off()) {  // a stop, kill or rm -f came meanwhile
      update_state([&](ContainerRunState& s) {
        s.status = RunStatus::Exited;
        s.monitor_pid = 0;
        s.ports.clear();
      });
      break;
    }
    if (auto rejoined = rejoin_networks(); !rejoined) {  // a network removed meanwhile
      fail_start(rejoined.error());
      exit_code = -1;
      break;
    }
  }
  return finish(exit_code);
}

int Monitor::finish(int exit_code) {
  ::unlink(engine_.attach_socket(record_.id).c_str());
  internal::unpublish_ports(engine_, ports_);
  ports_.clear();  // the host ports are free from here
  auto left = leave_networks();
  std::string rootfs = engine_.container_dir(record_.id) + "/rootfs";
  std::optional<store::WorkDir> trash;
  if (record_.auto_remove) {
    // `run --rm` returns once the container is gone for every reader, which the rename
    // into tmp/ does; unmounting and deleting its files is left for after the word
    // (tmp/ entries locked by a live process are not swept, and a dead one's are).
    auto lock = engine_.lock_container(record_.id);
    if (auto taken = engine_.take_container_files(record_); taken) {
      trash.emplace(std::move(*taken));
      rootfs = trash->path() + "/content/rootfs";
    }
  }
  if (!record_.auto_remove) ::umount2(rootfs.c_str(), MNT_DETACH);
  // Only now: a CLI that returns on this frame finds the container gone with --rm.
  if (start_error_) {
    broadcast(Frame::Error, *start_error_);
  } else if (exit_code >= 0) {
    broadcast(Frame::Exited, std::to_string(exit_code));
  }
  // The others on its networks forget it: after the word, off the critical path of `run`.
  (void)internal::write_hosts_files(engine_, record_, left, internal::HostsUpdate::Withdraw);
  if (record_.auto_remove) {
    // Off the critical path of `run --rm`. A monitor killed before this line leaves the
    // runtime's state to Engine::recover(), which the locked trash in tmp/ sets off.
    (void)runtime::delete_container(engine_.runtime_options(), record_.id, true);
    ::umount2(rootfs.c_str(), MNT_DETACH);
  }
  return start_error_ ? 1 : 0;  // `trash` removes the container's files as it goes
}

}  // namespace

Result<sys::UniqueFd> spawn_monitor(Engine& engine, const ContainerRecord& record) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return fail_errno(errno, "socketpair");
  }
  sys::UniqueFd cli_end(pair[0]);
  sys::UniqueFd monitor_end(pair[1]);
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno(errno, "fork the monitor");
  if (pid > 0) return cli_end;

  // The monitor: its own session (a ^C at the CLI's terminal must not reach it), no
  // stdio of the CLI's (a caller reading the CLI's output must see EOF when it exits).
  cli_end.reset();
  ::setsid();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  ::signal(SIGPIPE, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  int null = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
  if (null > 2) ::close(null);
  Monitor monitor(engine, record, std::move(monitor_end));
  ::_exit(monitor.run());
}

}  // namespace quai::engine
