// exec: run a new process in a running container, from --process FILE or from the
// container's own process settings with args and overrides from the command line.

#include <memory>

#include "base/strings.h"
#include "cli/runtime/verbs.h"
#include "sys/file_io.h"

namespace quai::cli {
namespace {

struct ExecArgs {
  std::string process_file;
  std::string console_socket;
  std::string pid_file;
  std::string cwd;
  std::string user;
  std::vector<std::string> env;
  std::vector<std::string> caps;
  std::vector<uint32_t> additional_gids;
  bool detach = false;
  bool tty = false;
  bool no_new_privs = false;
  int preserve_fds = 0;
  std::string ignored;
};

void set_env(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  for (auto& existing : env) {
    if (existing.substr(0, existing.find('=')) == key) {
      existing = entry;
      return;
    }
  }
  env.push_back(entry);
}

Result<runtime::User> parse_user(const std::string& text, runtime::User user) {
  auto parts = split(text, ':');
  user.uid = static_cast<uint32_t>(TRY_CTX(parse_uint64(parts[0]), "--user"));
  if (parts.size() > 1) user.gid = static_cast<uint32_t>(TRY_CTX(parse_uint64(parts[1]), "--user"));
  return user;
}

Result<runtime::Process> process_from_flags(const Globals& globals, const ExecArgs& args,
                                            const std::string& id,
                                            const std::vector<std::string>& command) {
  auto container = TRY(runtime::load_container(globals.runtime, id));
  runtime::Process process = container.spec.process.value_or(runtime::Process{});
  process.args = command;
  process.terminal = args.tty;
  process.console_size.reset();
  if (!args.cwd.empty()) process.cwd = args.cwd;
  for (const auto& entry : args.env) set_env(process.env, entry);
  if (!args.user.empty()) process.user = TRY(parse_user(args.user, process.user));
  for (uint32_t gid : args.additional_gids) process.user.additional_gids.push_back(gid);
  if (args.no_new_privs) process.no_new_privileges = true;
  if (!args.caps.empty()) {
    if (!process.capabilities) process.capabilities = runtime::Capabilities{};
    auto& caps = *process.capabilities;
    for (const auto& cap : args.caps) {
      for (auto* set :
           {&caps.bounding, &caps.effective, &caps.permitted, &caps.ambient, &caps.inheritable}) {
        set->push_back(cap);
      }
    }
  }
  return process;
}

Result<int> run_exec(const Globals& globals, const ExecArgs& args,
                     const std::vector<std::string>& rest) {
  if (rest.empty()) return fail(Errc::InvalidArgument, "exec: missing container id");
  const std::string& id = rest[0];
  std::vector<std::string> command(rest.begin() + 1, rest.end());
  if (!command.empty() && command[0] == "--") command.erase(command.begin());
  runtime::ExecOptions exec;
  if (!args.process_file.empty()) {
    std::string text = TRY(sys::read_file(args.process_file));
    exec.process = TRY(runtime::parse_process(text, args.process_file));
  } else {
    if (command.empty())
      return fail(Errc::InvalidArgument, "exec: missing command (or --process FILE)");
    exec.process = TRY(process_from_flags(globals, args, id, command));
  }
  exec.console_socket = args.console_socket;
  exec.pid_file = args.pid_file;
  exec.detach = args.detach;
  exec.preserve_fds = args.preserve_fds;
  return runtime::exec_in_container(globals.runtime, id, exec);
}

}  // namespace

void add_exec_verb(CLI::App& app, Globals& globals, Action& action) {
  auto args = std::make_shared<ExecArgs>();
  auto* sub = app.add_subcommand(
      "exec", "run a new process in a running container: exec [options] ID [COMMAND...]");
  sub->add_option("-p,--process", args->process_file, "process.json to run");
  sub->add_option("--console-socket", args->console_socket,
                  "unix socket that receives the pty master");
  sub->add_option("--pid-file", args->pid_file, "write the process's pid here");
  sub->add_flag("-d,--detach", args->detach, "return once the process runs");
  sub->add_flag("-t,--tty", args->tty, "give the process a terminal");
  sub->add_option("--cwd", args->cwd, "working directory");
  // One value per flag: a vector option would otherwise swallow the id and the command.
  sub->add_option("-e,--env", args->env, "VAR=value (repeatable)")->allow_extra_args(false);
  sub->add_option("-u,--user", args->user, "uid[:gid]");
  sub->add_option("--cap", args->caps, "add a capability (repeatable)")->allow_extra_args(false);
  sub->add_option("-g,--additional-gids", args->additional_gids, "additional group (repeatable)")
      ->allow_extra_args(false);
  sub->add_flag("--no-new-privs", args->no_new_privs, "set no_new_privs");
  sub->add_option("--preserve-fds", args->preserve_fds, "pass N fds after stdio");
  sub->add_option("--process-label,--apparmor", args->ignored, "accepted; no LSM is used");
  sub->prefix_command();
  sub->callback([&globals, &action, args, sub] {
    auto rest = std::make_shared<std::vector<std::string>>(sub->remaining());
    action = [&globals, args, rest] { return run_exec(globals, *args, *rest); };
  });
}

}  // namespace quai::cli
