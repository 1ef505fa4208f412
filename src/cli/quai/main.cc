// quai: containers, images and volumes on one host, the way Docker users know them,
// without a daemon.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/log.h"
#include "cli/quai/verbs.h"

namespace quai::cli {

constexpr const char* kVersion = "0.1.0";

Result<engine::Engine> open_engine(const Globals& globals) {
  auto engine = TRY(engine::Engine::open(globals.engine));
  if (auto recovered = engine.recover(); !recovered) {
    log::warn("recover: {}", recovered.error().to_string());
  }
  return engine;
}

}  // namespace quai::cli

namespace {

// "quai container ls" → "quai ps", "quai image rm" → "quai rmi": the management-command
// forms Docker has, mapped onto the verbs.
std::vector<std::string> canonical_arguments(int argc, char** argv) {
  static const std::map<std::string, std::map<std::string, std::string>> kAliases = {
      {"container", {{"ls", "ps"}, {"list", "ps"}, {"prune", "container-prune"}}},
      {"image",
       {{"ls", "images"},
        {"list", "images"},
        {"rm", "rmi"},
        {"remove", "rmi"},
        {"prune", "image-prune"},
        {"inspect", "image-inspect"},
        {"bootstrap", "image-bootstrap"},
        {"build", "build"}}},
      {"builder", {{"prune", "builder-prune"}, {"build", "build"}}}};
  std::vector<std::string> args(argv, argv + argc);
  for (size_t i = 1; i + 1 < args.size(); ++i) {
    if (args[i].starts_with("-")) {
      if (args[i] == "--root" || args[i] == "--runroot") ++i;
      continue;
    }
    auto group = kAliases.find(args[i]);
    if (group == kAliases.end()) break;
    auto verb = group->second.find(args[i + 1]);
    args[i + 1] = verb == group->second.end() ? args[i + 1] : verb->second;
    args.erase(args.begin() + static_cast<long>(i));
    break;
  }
  return args;
}

// The verb of the command line: its first word that is not a global option.
std::string verb_of(const std::vector<std::string>& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--root" || args[i] == "--runroot") {
      ++i;
    } else if (!args[i].starts_with("-")) {
      return args[i];
    }
  }
  return "";
}

// Building every verb's options costs more than 1 ms of each command (CLI11 copies and
// splits every name), so a command line with a known verb gets only that verb's group.
// A verb missing here, help or a typo gets them all: the table only saves time.
void add_verbs_for(const std::string& verb, CLI::App& app, quai::cli::Globals& globals,
                   quai::cli::Action& action) {
  using namespace quai::cli;
  using AddVerbs = void (*)(CLI::App&, Globals&, Action&);
  struct Group {
    AddVerbs add;
    std::vector<std::string_view> verbs;
  };
  static const std::vector<Group> kGroups = {
      {add_run_verbs, {"run", "create", "start"}},
      {add_container_verbs,
       {"ps", "stop", "restart", "kill", "rm", "wait", "logs", "inspect", "rename",
        "container-prune"}},
      {add_process_verbs, {"exec", "top", "stats", "attach"}},
      {add_image_verbs,
       {"images", "rmi", "tag", "history", "image-inspect", "import", "save", "load", "image-prune",
        "image-bootstrap"}},
      {add_volume_verbs, {"volume"}},
      {add_network_verbs, {"network"}},
      {add_system_verbs, {"system"}},
      {add_cp_verbs, {"cp"}},
      {add_build_verbs, {"build", "builder-prune"}},
      {add_registry_verbs, {"registry", "pull", "push", "login", "logout"}},
  };
  for (const auto& group : kGroups) {
    if (std::ranges::find(group.verbs, verb) != group.verbs.end()) {
      group.add(app, globals, action);
      return;
    }
  }
  for (const auto& group : kGroups) group.add(app, globals, action);
}

// Docker's repeated flags take one value each ("-e A -e B IMAGE"); CLI11's vector options
// would otherwise swallow the image name and the command that follow them.
void take_one_value_per_flag(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    if (!option->get_positional()) option->allow_extra_args(false);
  }
  for (CLI::App* command : app.get_subcommands({})) take_one_value_per_flag(*command);
}

// Ends the process without tearing down the CLI's objects: after `run` has forked its
// monitor, every page freed is a copy-on-write fault, 0.5 ms of each `quai run`. Builds
// with sanitizers tear down as usual, so that their leak check sees everything.
[[noreturn]] void end_now(int status) {
  std::fflush(stdout);
  std::fflush(stderr);
#if defined(__SANITIZE_ADDRESS__)
  std::exit(status);
#else
  ::_exit(status);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  using namespace quai::cli;
  auto arguments = canonical_arguments(argc, argv);
  std::vector<char*> pointers;
  for (auto& a : arguments) pointers.push_back(a.data());
  argc = static_cast<int>(pointers.size());
  argv = pointers.data();
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"quai: containers, images and volumes", "quai"};
  app.require_subcommand(0, 1);
  app.set_version_flag("-v,--version", std::string("quai version ") + kVersion);
  Globals globals;
  app.add_option("--root", globals.engine.root, "where images, containers and volumes live")
      ->capture_default_str();
  app.add_option("--runroot", globals.engine.run_root, "where run-time state lives");
  app.add_flag("-D,--debug", globals.debug, "log debug messages");
  Action action;
  add_verbs_for(verb_of(arguments), app, globals, action);
  take_one_value_per_flag(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int status = app.exit(e);
    return status == 0 ? 0 : 125;
  }
  quai::log::Options options;
  options.level = globals.debug ? quai::log::Level::Debug : quai::log::Level::Warn;
  quai::log::configure(options);
  globals.engine.root = absolute_path(globals.engine.root);
  if (!action) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  auto result = action();
  if (!result) std::fprintf(stderr, "quai: error: %s\n", result.error().to_string().c_str());
  end_now(result ? *result : globals.error_status);
}
