// ps, logs, stop, restart, kill, rm, wait, inspect, rename and container prune.

#include <unistd.h>

#include <cstdio>

#include "base/strings.h"
#include "cli/quai/format.h"
#include "cli/quai/verbs.h"
#include "engine/lifecycle.h"
#include "engine/logs.h"
#include "engine/networks.h"
#include "runtime/container.h"
#include "store/ids.h"

namespace quai::cli {
namespace {

using engine::ContainerView;
using engine::RunStatus;

std::string command_text(const engine::ContainerRecord& r, bool full) {
  std::string text;
  for (const auto& part : r.entrypoint) text += (text.empty() ? "" : " ") + part;
  for (const auto& part : r.cmd) text += (text.empty() ? "" : " ") + part;
  if (!full && text.size() > 20) text = text.substr(0, 19) + "…";
  return "\"" + text + "\"";
}

std::string status_text(const engine::ContainerRunState& s) {
  switch (s.status) {
    case RunStatus::Running:
      return "Up " + human_duration_since(s.started_at);
    case RunStatus::Paused:
      return "Up " + human_duration_since(s.started_at) + " (Paused)";
    case RunStatus::Restarting:
      return fmt::format("Restarting ({}) {} ago", s.exit_code,
                         human_duration_since(s.finished_at));
    case RunStatus::Exited:
      return fmt::format("Exited ({}) {} ago", s.exit_code, human_duration_since(s.finished_at));
    case RunStatus::Dead:
      return "Dead";
    case RunStatus::Created:
      return "Created";
  }
  return "";
}

Json inspect_json(const ContainerView& v, Json network_settings = Json::object()) {
  Json j = v.record.to_json();
  j["NetworkSettings"] = std::move(network_settings);
  const auto& s = v.state;
  j["State"] = {
      {"Status", engine::run_status_name(s.status)},
      {"Running", s.status == RunStatus::Running || s.status == RunStatus::Paused},
      {"Paused", s.status == RunStatus::Paused},
      {"Restarting", s.status == RunStatus::Restarting},
      {"OOMKilled", s.oom_killed},
      {"Dead", s.status == RunStatus::Dead},
      {"Pid", s.pid},
      {"ExitCode", s.exit_code},
      {"Error", s.error},
      {"StartedAt", s.started_at.empty() ? std::string(engine::kZeroTime) : s.started_at},
      {"FinishedAt", s.finished_at.empty() ? std::string(engine::kZeroTime) : s.finished_at}};
  j["Path"] = !v.record.entrypoint.empty() ? v.record.entrypoint[0]
                                           : (v.record.cmd.empty() ? "" : v.record.cmd[0]);
  Json args = Json::array();
  std::vector<std::string> all = v.record.entrypoint;
  all.insert(all.end(), v.record.cmd.begin(), v.record.cmd.end());
  for (size_t i = 1; i < all.size(); ++i) args.push_back(all[i]);
  j["Args"] = args;
  j["RestartCount"] = s.restart_count;
  j["Driver"] = "overlay";
  Json mounts = Json::array();
  for (const auto& m : v.record.mounts) {
    mounts.push_back({{"Type", m.type},
                      {"Name", m.type == "volume" ? m.source : ""},
                      {"Source", m.source},
                      {"Destination", m.target},
                      {"RW", !m.read_only}});
  }
  j["Mounts"] = mounts;
  return j;
}

bool matches_filter(const ContainerView& v, const std::vector<std::string>& filters) {
  for (const auto& filter : filters) {
    auto eq = filter.find('=');
    std::string key = filter.substr(0, eq),
                value = eq == std::string::npos ? "" : filter.substr(eq + 1);
    if (key == "status" && engine::run_status_name(v.state.status) != value) return false;
    if (key == "name" && v.record.name.find(value) == std::string::npos) return false;
    if (key == "id" && !v.record.id.starts_with(value)) return false;
    if (key == "exited" &&
        (v.state.status != RunStatus::Exited || std::to_string(v.state.exit_code) != value))
      return false;
    if (key == "ancestor" && v.record.image != value && !v.record.image_id.hex().starts_with(value))
      return false;
    if (key == "label") {
      auto leq = value.find('=');
      auto it = v.record.labels.find(value.substr(0, leq));
      if (it == v.record.labels.end() ||
          (leq != std::string::npos && it->second != value.substr(leq + 1)))
        return false;
    }
  }
  return true;
}

struct PsFlags {
  bool all = false, quiet = false, no_trunc = false;
  std::vector<std::string> filters;
  std::string format;
};

Result<int> list_containers(Globals& globals, const PsFlags& f) {
  auto engine = TRY(open_engine(globals));
  auto views = TRY(engine.list_containers());
  std::vector<std::vector<std::string>> rows;
  std::optional<Template> tmpl;
  if (!f.format.empty()) tmpl.emplace(f.format);
  std::string out;
  for (const auto& v : views) {
    bool running = v.state.status == RunStatus::Running || v.state.status == RunStatus::Paused ||
                   v.state.status == RunStatus::Restarting;
    if (!f.all && !running) continue;
    if (!matches_filter(v, f.filters)) continue;
    std::string id = f.no_trunc ? v.record.id : std::string(store::short_id(v.record.id));
    if (f.quiet) {
      out += id + "\n";
      continue;
    }
    std::map<std::string, std::string> fields = {
        {"ID", id},
        {"Image", v.record.image},
        {"Command", command_text(v.record, f.no_trunc)},
        {"CreatedAt", v.record.created},
        {"RunningFor", human_duration_since(v.record.created) + " ago"},
        {"Status", status_text(v.state)},
        {"State", std::string(engine::run_status_name(v.state.status))},
        {"Names", v.record.name},
        {"Ports", running ? engine::ports_column(v.state.ports, v.record.exposed_ports) : ""}};
    if (tmpl) {
      out += tmpl->render(fields, inspect_json(v)) + "\n";
      continue;
    }
    rows.push_back({fields["ID"], fields["Image"], fields["Command"], fields["RunningFor"],
                    fields["Status"], fields["Ports"], fields["Names"]});
  }
  if (f.quiet || tmpl) {
    if (tmpl && tmpl->is_table()) {
      std::fputs((tmpl->header({{"ID", "CONTAINER ID"},
                                {"Image", "IMAGE"},
                                {"Command", "COMMAND"},
                                {"RunningFor", "CREATED"},
                                {"Status", "STATUS"},
                                {"Names", "NAMES"},
                                {"State", "STATE"},
                                {"Ports", "PORTS"}}) +
                  "\n")
                     .c_str(),
                 stdout);
    }
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  std::fputs(render_table(
                 {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}, rows)
                 .c_str(),
             stdout);
  return 0;
}

// Runs `verb` on each named container, printing each name as Docker does; the status
// is 1 if any failed.
Result<int> for_each_container(
    Globals& globals, const std::vector<std::string>& names,
    const std::function<Status(engine::Engine&, const ContainerView&)>& verb) {
  auto engine = TRY(open_engine(globals));
  int status = 0;
  for (const auto& name : names) {
    auto view = engine.find_container(name);
    Status done = view ? verb(engine, *view) : Status(std::unexpected(view.error()));
    if (done) {
      std::printf("%s\n", name.c_str());
    } else {
      std::fprintf(stderr, "quai: error: %s\n", done.error().to_string().c_str());
      status = 1;
    }
  }
  return status;
}

struct LogsFlags {
  std::string container, tail = "all", since;
  bool follow = false, timestamps = false;
};

// `port CONTAINER [PORT[/PROTO]]`: "80/tcp -> 0.0.0.0:32768" per published port, or the
// host addresses of one port.
Result<int> show_ports(Globals& globals, const std::string& name, const std::string& port) {
  auto engine = TRY(open_engine(globals));
  auto view = TRY(engine.find_container(name));
  const auto& published = view.state.status == RunStatus::Running
                              ? view.state.ports
                              : std::vector<engine::PublishedPort>{};
  std::string wanted;
  if (!port.empty()) {
    auto [numbers, protocol] = TRY(engine::parse_port_key(port));
    wanted = engine::port_key(numbers.front(), protocol);
  }
  std::string out;
  for (const auto& p : published) {
    std::string key = engine::port_key(p.container_port, p.protocol);
    if (wanted.empty()) out += fmt::format("{} -> {}:{}\n", key, p.host_ip, p.host_port);
    if (key == wanted) out += fmt::format("{}:{}\n", p.host_ip, p.host_port);
  }
  if (!wanted.empty() && out.empty())
    return fail(Errc::NotFound, "No public port '{}' published for {}", wanted, name);
  std::fputs(out.c_str(), stdout);
  return 0;
}

Result<int> show_logs(Globals& globals, const LogsFlags& f) {
  auto engine = TRY(open_engine(globals));
  auto view = TRY(engine.find_container(f.container));
  engine::LogQuery query;
  if (f.tail != "all") query.tail = TRY_CTX(parse_uint64(f.tail), "--tail");
  query.since = f.since;
  query.follow = f.follow;
  std::string id = view.record.id;
  query.keep_following = [&engine, id] {
    auto current = engine.find_container(id);
    return current && (current->state.status == RunStatus::Running ||
                       current->state.status == RunStatus::Restarting);
  };
  TRY(engine::read_logs(engine.log_path(view.record.id), query, [&](const engine::LogEntry& e) {
    FILE* out = e.stream == "stderr" ? stderr : stdout;
    if (f.timestamps) std::fprintf(out, "%s ", e.time.c_str());
    std::fwrite(e.text.data(), 1, e.text.size(), out);
    std::fflush(out);
  }));
  return 0;
}

}  // namespace

void add_container_verbs(CLI::App& app, Globals& globals, Action& action) {
  static PsFlags ps_flags;
  auto* ps = app.add_subcommand("ps", "List containers");
  ps->add_flag("-a,--all", ps_flags.all, "Show all containers (default shows just running)");
  ps->add_flag("-q,--quiet", ps_flags.quiet, "Only display container IDs");
  ps->add_flag("--no-trunc", ps_flags.no_trunc, "Don't truncate output");
  ps->add_option("-f,--filter", ps_flags.filters, "Filter output based on conditions provided");
  ps->add_option("--format", ps_flags.format, "Format output using a template");
  ps->callback([&] { action = [&] { return list_containers(globals, ps_flags); }; });

  static std::vector<std::string> names;
  static std::optional<int> timeout;
  auto* stop = app.add_subcommand("stop", "Stop one or more running containers");
  stop->add_option("-t,--time", timeout, "Seconds to wait before killing the container");
  stop->add_option("CONTAINER", names)->required();
  stop->callback([&] {
    action = [&] {
      return for_each_container(globals, names, [](engine::Engine& e, const ContainerView& v) {
        return engine::stop_container(e, v, timeout);
      });
    };
  });

  auto* restart = app.add_subcommand("restart", "Restart one or more containers");
  restart->add_option("-t,--time", timeout, "Seconds to wait before killing the container");
  restart->add_option("CONTAINER", names)->required();
  restart->callback([&] {
    action = [&] {
      return for_each_container(globals, names,
                                [](engine::Engine& e, const ContainerView& v) -> Status {
                                  TRY(engine::stop_container(e, v, timeout));
                                  auto fresh = TRY(e.find_container(v.record.id));
                                  TRY(engine::start_container(e, fresh));
                                  return ok();
                                });
    };
  });

  static std::string signal = "KILL";
  auto* kill = app.add_subcommand("kill", "Kill one or more running containers");
  kill->add_option("-s,--signal", signal, "Signal to send to the container");
  kill->add_option("CONTAINER", names)->required();
  kill->callback([&] {
    action = [&]() -> Result<int> {
      int number = TRY(runtime::parse_signal(signal));
      return for_each_container(globals, names,
                                [number](engine::Engine& e, const ContainerView& v) {
                                  return engine::kill_container(e, v, number);
                                });
    };
  });

  static bool force = false, volumes = false;
  auto* rm = app.add_subcommand("rm", "Remove one or more containers");
  rm->add_flag("-f,--force", force, "Force the removal of a running container (uses SIGKILL)");
  rm->add_flag("-v,--volumes", volumes, "Remove anonymous volumes associated with the container");
  rm->add_option("CONTAINER", names)->required();
  rm->callback([&] {
    action = [&] {
      return for_each_container(globals, names, [](engine::Engine& e, const ContainerView& v) {
        return engine::remove_container(e, v, force, volumes);
      });
    };
  });

  auto* wait = app.add_subcommand(
      "wait", "Block until one or more containers stop, then print their exit codes");
  wait->add_option("CONTAINER", names)->required();
  wait->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      for (const auto& name : names) std::printf("%d\n", TRY(engine::wait_container(engine, name)));
      return 0;
    };
  });

  static LogsFlags logs_flags;
  auto* logs = app.add_subcommand("logs", "Fetch the logs of a container");
  logs->add_flag("-f,--follow", logs_flags.follow, "Follow log output");
  logs->add_option("-n,--tail", logs_flags.tail,
                   "Number of lines to show from the end of the logs");
  logs->add_option("--since", logs_flags.since, "Show logs since timestamp");
  logs->add_flag("-t,--timestamps", logs_flags.timestamps, "Show timestamps");
  logs->add_option("CONTAINER", logs_flags.container)->required();
  logs->callback([&] { action = [&] { return show_logs(globals, logs_flags); }; });

  static std::string format;
  auto* inspect = app.add_subcommand("inspect", "Return low-level information on containers");
  inspect->add_option("-f,--format", format, "Format output using a template");
  inspect->add_option("NAME", names)->required();
  inspect->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      Json all = Json::array();
      for (const auto& name : names) {
        auto view = engine.find_container(name);
        if (!view) {
          auto image = engine.images().find(name);
          if (!image) return fail(Errc::NotFound, "No such object: {}", name);
          all.push_back(TRY(inspect_image_json(engine, *image)));
          continue;
        }
        all.push_back(inspect_json(*view, engine::network_settings(engine, *view)));
      }
      print_inspected(all, format);
      return 0;
    };
  });

  static std::string port_container, port_spec;
  auto* port =
      app.add_subcommand("port", "List port mappings or a specific mapping for the container");
  port->add_option("CONTAINER", port_container)->required();
  port->add_option("PRIVATE_PORT", port_spec, "PRIVATE_PORT[/PROTO]");
  port->callback([&] { action = [&] { return show_ports(globals, port_container, port_spec); }; });

  static std::string old_name, new_name;
  auto* rename = app.add_subcommand("rename", "Rename a container");
  rename->add_option("CONTAINER", old_name)->required();
  rename->add_option("NEW_NAME", new_name)->required();
  rename->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      TRY(engine.rename_container(old_name, new_name));
      return 0;
    };
  });

  auto* prune = app.add_subcommand("container-prune", "Remove all stopped containers");
  prune->group("");
  static bool prune_force = false;
  prune->add_flag("-f,--force", prune_force, "Do not prompt for confirmation");
  prune->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      std::printf("Deleted Containers:\n");
      for (const auto& view : TRY(engine.list_containers())) {
        if (view.state.status != RunStatus::Exited && view.state.status != RunStatus::Created)
          continue;
        if (engine::remove_container(engine, view, false, false))
          std::printf("%s\n", view.record.id.c_str());
      }
      return 0;
    };
  });
}

}  // namespace quai::cli
