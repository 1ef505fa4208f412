// create, start, run, kill, delete, pause, resume.

#include <signal.h>
#include <sys/wait.h>

#include <memory>

#include "cli/runtime/verbs.h"
#include "sys/process.h"

namespace quai::cli {
namespace {

struct CreateArgs {
  runtime::CreateOptions options;
  std::string bundle;
  bool detach = false;
  bool keep = false;
  bool no_new_keyring = false;
};

void add_create_options(CLI::App* sub, CreateArgs& args) {
  sub->add_option("id", args.options.id, "container id")->required();
  sub->add_option("-b,--bundle", args.bundle, "bundle directory (default: the current directory)");
  sub->add_option("--pid-file", args.options.pid_file, "write the init's pid here");
  sub->add_option("--console-socket", args.options.console_socket,
                  "unix socket that receives the pty master");
  sub->add_flag("--no-pivot", args.options.no_pivot, "use MS_MOVE + chroot instead of pivot_root");
  sub->add_option("--preserve-fds", args.options.preserve_fds,
                  "pass N fds after stdio to the container");
  sub->add_flag("--no-new-keyring", args.no_new_keyring, "accepted for compatibility");
}

pid_t g_init_pid = 0;
void forward_signal(int signal) { ::kill(g_init_pid, signal); }

// `run`: create, start, and in the foreground wait for the init, forwarding signals,
// then delete the container. The exit status is the container's.
Result<int> run_container(const Globals& globals, CreateArgs& args) {
  args.options.bundle = absolute_path(args.bundle);
  args.options.inherit_terminal = !args.detach;
  auto launched = TRY(runtime::create_container(globals.runtime, args.options));
  if (auto started = runtime::start_container(globals.runtime, args.options.id); !started) {
    (void)runtime::delete_container(globals.runtime, args.options.id, true);
    return std::unexpected(started.error());
  }
  if (args.detach) return 0;
  g_init_pid = launched.pid;
  for (int signal : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH}) {
    struct sigaction action = {};
    action.sa_handler = forward_signal;
    ::sigaction(signal, &action, nullptr);
  }
  int code = TRY(sys::wait_exit_code(launched.pid));
  if (!args.keep) TRY(runtime::delete_container(globals.runtime, args.options.id, true));
  return code;
}

void add_create(CLI::App& app, Globals& globals, Action& action) {
  auto args = std::make_shared<CreateArgs>();
  auto* sub = app.add_subcommand("create", "create a container from a bundle");
  add_create_options(sub, *args);
  sub->callback([&globals, &action, args] {
    action = [&globals, args]() -> Result<int> {
      args->options.bundle = absolute_path(args->bundle);
      TRY(runtime::create_container(globals.runtime, args->options));
      return 0;
    };
  });
  auto run_args = std::make_shared<CreateArgs>();
  auto* run =
      app.add_subcommand("run", "create and start a container; wait for it unless --detach");
  add_create_options(run, *run_args);
  run->add_flag("-d,--detach", run_args->detach, "return once the container runs");
  run->add_flag("--keep", run_args->keep, "do not delete the container when it exits");
  run->callback([&globals, &action, run_args] {
    action = [&globals, run_args] { return run_container(globals, *run_args); };
  });
}

// Verbs that take only an id and call one library function.
void add_id_verb(CLI::App& app, Globals& globals, Action& action, const char* name,
                 const char* help,
                 std::function<Status(const runtime::RuntimeOptions&, const std::string&)> verb) {
  auto id = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(name, help);
  sub->add_option("id", *id, "container id")->required();
  sub->callback([&globals, &action, id, verb] {
    action = [&globals, id, verb]() -> Result<int> {
      TRY(verb(globals.runtime, *id));
      return 0;
    };
  });
}

struct KillArgs {
  std::string id;
  std::string signal = "TERM";
  bool all = false;
};

void add_kill(CLI::App& app, Globals& globals, Action& action) {
  auto args = std::make_shared<KillArgs>();
  auto* sub =
      app.add_subcommand("kill", "send a signal to the container's init (or all its processes)");
  sub->add_option("id", args->id, "container id")->required();
  sub->add_option("signal", args->signal, "signal name or number (default TERM)");
  sub->add_flag("-a,--all", args->all, "signal every process of the container");
  sub->callback([&globals, &action, args] {
    action = [&globals, args]() -> Result<int> {
      int signal = TRY(runtime::parse_signal(args->signal));
      TRY(runtime::kill_container(globals.runtime, args->id, signal, args->all));
      return 0;
    };
  });
}

struct DeleteArgs {
  std::string id;
  bool force = false;
};

void add_delete(CLI::App& app, Globals& globals, Action& action) {
  auto args = std::make_shared<DeleteArgs>();
  auto* sub = app.add_subcommand("delete", "delete a stopped container (--force: kill it first)");
  sub->add_option("id", args->id, "container id")->required();
  sub->add_flag("-f,--force", args->force, "kill the container if it is still running");
  sub->callback([&globals, &action, args] {
    action = [&globals, args]() -> Result<int> {
      TRY(runtime::delete_container(globals.runtime, args->id, args->force));
      return 0;
    };
  });
}

}  // namespace

void add_lifecycle_verbs(CLI::App& app, Globals& globals, Action& action) {
  add_create(app, globals, action);
  add_id_verb(app, globals, action, "start", "start a created container", runtime::start_container);
  add_kill(app, globals, action);
  add_delete(app, globals, action);
  add_id_verb(app, globals, action, "pause", "freeze every process of the container",
              [](const runtime::RuntimeOptions& o, const std::string& id) {
                return runtime::pause_container(o, id, true);
              });
  add_id_verb(app, globals, action, "resume", "thaw a paused container",
              [](const runtime::RuntimeOptions& o, const std::string& id) {
                return runtime::pause_container(o, id, false);
              });
}

}  // namespace quai::cli
