// quai: containers, images and volumes on one host, the way Docker users know them,
// without a daemon.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
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
  add_run_verbs(app, globals, action);
  add_container_verbs(app, globals, action);
  add_process_verbs(app, globals, action);
  add_image_verbs(app, globals, action);
  add_volume_verbs(app, globals, action);
  add_system_verbs(app, globals, action);
  add_cp_verbs(app, globals, action);
  add_build_verbs(app, globals, action);
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
