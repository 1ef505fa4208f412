// run, create and start.

#include <unistd.h>

#include <cstdio>

#include "cli/quai/run_flags.h"
#include "cli/quai/verbs.h"
#include "engine/lifecycle.h"

namespace quai::cli {
namespace {

// A failed start prints Docker's exit code: the monitor sends "<code> <message>".
Result<int> report_start_failure(const Error& error) {
  int code = engine::start_failure_exit_code(error);
  std::string text = error.to_string();
  if (code != 125 || text.starts_with("125 ")) text = text.substr(4);
  std::fprintf(stderr, "quai: error: %s\n", text.c_str());
  return code;
}

Result<int> run_attached(engine::Engine& engine, const engine::ContainerView& view,
                         bool interactive) {
  auto socket = engine::start_container(engine, view);
  if (!socket) return report_start_failure(socket.error());
  auto code = TRY(engine::attach_session(socket->get(), {interactive, view.record.tty}));
  if (code) return *code;
  // The monitor went away without a word (killed): ask the store what happened.
  return TRY(engine::wait_container(engine, view.record.id));
}

Result<int> run_container(Globals& globals, const RunFlags& flags,
                          const std::vector<std::string>& rest) {
  auto engine = TRY(open_engine(globals));
  auto request = TRY(make_request(flags, rest));
  auto record = TRY(engine::create_from_request(engine, request));
  engine::ContainerView view{record, {}};
  if (flags.detach) {
    auto socket = engine::start_container(engine, view);
    if (!socket) return report_start_failure(socket.error());
    std::printf("%s\n", record.id.c_str());
    return 0;
  }
  return run_attached(engine, view, flags.interactive);
}

}  // namespace

void add_run_verbs(CLI::App& app, Globals& globals, Action& action) {
  static RunFlags run_flags;
  auto* run = app.add_subcommand("run", "Create and run a new container from an image");
  add_run_flags(*run, run_flags);
  run->callback([&globals, &action, run] {
    globals.error_status = 125;
    action = [&globals, run] { return run_container(globals, run_flags, run->remaining()); };
  });

  static RunFlags create_flags;
  auto* create = app.add_subcommand("create", "Create a new container");
  add_run_flags(*create, create_flags);
  create->callback([&globals, &action, create] {
    globals.error_status = 125;
    action = [&globals, create]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      auto request = TRY(make_request(create_flags, create->remaining()));
      auto record = TRY(engine::create_from_request(engine, request));
      std::printf("%s\n", record.id.c_str());
      return 0;
    };
  });

  static std::vector<std::string> names;
  static bool attach = false, interactive = false;
  auto* start = app.add_subcommand("start", "Start one or more stopped containers");
  start->add_flag("-a,--attach", attach, "Attach STDOUT/STDERR and forward signals");
  start->add_flag("-i,--interactive", interactive, "Attach container's STDIN");
  start->add_option("CONTAINER", names)->required();
  start->callback([&globals, &action] {
    action = [&globals]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      int status = 0;
      for (const auto& name : names) {
        auto view = TRY(engine.find_container(name));
        if (attach) return run_attached(engine, view, interactive);
        if (view.state.status == engine::RunStatus::Running) {
          std::printf("%s\n", name.c_str());
          continue;
        }
        auto socket = engine::start_container(engine, view);
        if (!socket) {
          status = TRY(report_start_failure(socket.error()));
          continue;
        }
        std::printf("%s\n", name.c_str());
      }
      return status;
    };
  });
}

}  // namespace quai::cli
