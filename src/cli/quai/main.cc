// quai: containers, images and volumes on one host, the way Docker users know them,
// without a daemon.

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "cli/quai/verbs.h"

namespace quai::cli {

constexpr const char* kVersion = "0.1.0";

std::string absolute_path(const std::string& path) {
  char cwd[4096];
  std::string base = ::getcwd(cwd, sizeof cwd) ? cwd : "/";
  if (path.empty() || path == ".") return base;
  if (path[0] == '/') return path;
  return base + "/" + path;
}

Result<engine::Engine> open_engine(const Globals& globals) {
  auto engine = TRY(engine::Engine::open(globals.engine));
  if (auto recovered = engine.recover(); !recovered) {
    log::warn("recover: {}", recovered.error().to_string());
  }
  return engine;
}

}  // namespace quai::cli

int main(int argc, char** argv) {
  using namespace quai::cli;
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
  add_image_verbs(app, globals, action);
  add_volume_verbs(app, globals, action);
  add_system_verbs(app, globals, action);
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
  if (!result) {
    std::fprintf(stderr, "quai: error: %s\n", result.error().to_string().c_str());
    return globals.error_status;
  }
  return *result;
}
