// exec, top, stats and attach: the processes of running containers.

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "cli/quai/format.h"
#include "cli/quai/run_flags.h"
#include "cli/quai/verbs.h"
#include "engine/exec.h"
#include "engine/lifecycle.h"
#include "engine/stats.h"
#include "store/ids.h"
#include "sys/file_io.h"
#include "sys/process.h"

namespace quai::cli {
namespace {

struct ExecFlags {
  bool detach = false, interactive = false, tty = false;
  std::string user, working_dir;
  std::vector<std::string> env, env_files;
};

Result<int> exec_command(Globals& globals, const ExecFlags& flags,
                         const std::vector<std::string>& rest) {
  if (rest.size() < 2)
    return fail(Errc::InvalidArgument, "\"exec\" requires at least 2 arguments: CONTAINER COMMAND");
  auto engine = TRY(open_engine(globals));
  auto view = TRY(engine.find_container(rest[0]));
  engine::ExecRequest request;
  request.args.assign(rest.begin() + 1, rest.end());
  request.user = flags.user;
  request.working_dir = flags.working_dir;
  request.env = TRY(read_env_flags(flags.env, flags.env_files));
  request.interactive = flags.interactive;
  request.tty = flags.tty;
  request.detach = flags.detach;
  auto exit = TRY(engine::exec_in_container(engine, view, request));
  if (exit.launch_error)
    std::fprintf(stderr, "quai: error: %s\n", exit.launch_error->to_string().c_str());
  return exit.code;
}

Result<int> show_top(Globals& globals, const std::vector<std::string>& rest) {
  if (rest.empty()) return fail(Errc::InvalidArgument, "\"top\" requires at least 1 argument");
  auto engine = TRY(open_engine(globals));
  auto view = TRY(engine.find_container(rest[0]));
  auto pids = TRY(engine::container_processes(engine, view));
  std::vector<std::string> ps_args(rest.begin() + 1, rest.end());
  std::fputs(TRY(sys::ps_of(pids, ps_args)).c_str(), stdout);
  return 0;
}

struct StatsFlags {
  bool all = false, no_stream = false, no_trunc = false;
  std::vector<std::string> containers;
};

std::vector<std::string> stats_row(const engine::ContainerView& view, bool no_trunc,
                                   const engine::ContainerStats& before,
                                   const engine::ContainerStats& now) {
  double memory_percent = now.memory_limit == 0 ? 0.0
                                                : 100.0 * static_cast<double>(now.memory_usage) /
                                                      static_cast<double>(now.memory_limit);
  return {no_trunc ? view.record.id : std::string(store::short_id(view.record.id)),
          view.record.name,
          fmt::format("{:.2f}%", engine::cpu_percent(before, now)),
          binary_size(now.memory_usage) + " / " + binary_size(now.memory_limit),
          fmt::format("{:.2f}%", memory_percent),
          human_size(now.net_rx) + " / " + human_size(now.net_tx),
          human_size(now.block_read) + " / " + human_size(now.block_write),
          std::to_string(now.pids)};
}

Result<std::vector<engine::ContainerView>> stats_targets(engine::Engine& engine,
                                                         const StatsFlags& flags) {
  std::vector<engine::ContainerView> views;
  if (!flags.containers.empty()) {
    for (const auto& name : flags.containers) views.push_back(TRY(engine.find_container(name)));
    return views;
  }
  for (auto& view : TRY(engine.list_containers())) {
    if (flags.all || view.state.status == engine::RunStatus::Running) views.push_back(view);
  }
  return views;
}

// One screen of `docker stats`: two samples a second apart give the CPU share.
Result<std::string> stats_screen(engine::Engine& engine, const StatsFlags& flags,
                                 std::map<std::string, engine::ContainerStats>& previous) {
  auto views = TRY(stats_targets(engine, flags));
  std::map<std::string, engine::ContainerStats> now;
  for (const auto& view : views) {
    if (auto sample = engine::read_stats(engine, view)) now[view.record.id] = *sample;
  }
  if (previous.empty()) {
    previous = now;
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return stats_screen(engine, flags, previous);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& view : views) {
    auto sample = now.find(view.record.id);
    if (sample == now.end()) {
      // Stopped: Docker shows the row with nothing in it.
      rows.push_back({std::string(store::short_id(view.record.id)), view.record.name, "0.00%",
                      "0B / 0B", "0.00%", "0B / 0B", "0B / 0B", "0"});
      continue;
    }
    auto before = previous.contains(view.record.id) ? previous[view.record.id] : sample->second;
    rows.push_back(stats_row(view, flags.no_trunc, before, sample->second));
  }
  previous = now;
  return render_table({"CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O",
                       "BLOCK I/O", "PIDS"},
                      rows);
}

Result<int> show_stats(Globals& globals, const StatsFlags& flags) {
  auto engine = TRY(open_engine(globals));
  std::map<std::string, engine::ContainerStats> previous;
  if (flags.no_stream) {
    std::fputs(TRY(stats_screen(engine, flags, previous)).c_str(), stdout);
    return 0;
  }
  while (true) {
    auto screen = TRY(stats_screen(engine, flags, previous));
    // Clear the screen and go home, as Docker's streaming view does.
    std::fputs(("\033[2J\033[H" + screen).c_str(), stdout);
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

struct AttachFlags {
  bool no_stdin = false;
  std::string container;
};

Result<int> attach_to(Globals& globals, const AttachFlags& flags) {
  auto engine = TRY(open_engine(globals));
  auto view = TRY(engine.find_container(flags.container));
  auto socket = TRY(engine::connect_to_monitor(engine, view));
  bool forward_stdin = view.record.open_stdin && !flags.no_stdin;
  auto code = TRY(engine::attach_session(socket.get(), {forward_stdin, view.record.tty}));
  if (code) return *code;
  return TRY(engine::wait_container(engine, view.record.id));
}

}  // namespace

void add_process_verbs(CLI::App& app, Globals& globals, Action& action) {
  static ExecFlags exec_flags;
  auto* exec = app.add_subcommand("exec", "Execute a command in a running container");
  exec->add_flag("-d,--detach", exec_flags.detach, "Detached mode: run command in the background");
  exec->add_flag("-i,--interactive", exec_flags.interactive,
                 "Keep STDIN open even if not attached");
  exec->add_flag("-t,--tty", exec_flags.tty, "Allocate a pseudo-TTY");
  exec->add_option("-u,--user", exec_flags.user,
                   "Username or UID (format: <name|uid>[:<group|gid>])");
  exec->add_option("-w,--workdir", exec_flags.working_dir,
                   "Working directory inside the container");
  exec->add_option("-e,--env", exec_flags.env, "Set environment variables");
  exec->add_option("--env-file", exec_flags.env_files, "Read in a file of environment variables");
  exec->prefix_command();
  exec->callback([&globals, &action, exec] {
    // Docker: 126/127 for a command that cannot run; an engine error is 1.
    auto rest = exec->remaining();
    action = [&globals, rest] { return exec_command(globals, exec_flags, rest); };
  });

  auto* top = app.add_subcommand("top", "Display the running processes of a container");
  top->prefix_command();
  top->callback([&globals, &action, top] {
    auto rest = top->remaining();
    action = [&globals, rest] { return show_top(globals, rest); };
  });

  static StatsFlags stats_flags;
  auto* stats = app.add_subcommand("stats", "Display a live stream of container resource usage");
  stats->add_flag("-a,--all", stats_flags.all, "Show all containers (default shows just running)");
  stats->add_flag("--no-stream", stats_flags.no_stream,
                  "Disable streaming stats and only pull the first result");
  stats->add_flag("--no-trunc", stats_flags.no_trunc, "Do not truncate output");
  stats->add_option("CONTAINER", stats_flags.containers);
  stats->callback([&] { action = [&] { return show_stats(globals, stats_flags); }; });

  static AttachFlags attach_flags;
  auto* attach = app.add_subcommand("attach", "Attach to a running container's output and input");
  attach->add_flag("--no-stdin", attach_flags.no_stdin, "Do not attach STDIN");
  attach->add_option("CONTAINER", attach_flags.container)->required();
  attach->callback([&] { action = [&] { return attach_to(globals, attach_flags); }; });
}

}  // namespace quai::cli
