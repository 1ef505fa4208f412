// quai-runtime: the OCI runtime command line (as runc and crun have it) over the
// runtime library, so podman, containerd and docker can use quai as --runtime.

#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "base/log.h"
#include "cli/runtime/verbs.h"

namespace quai::cli {

namespace {

constexpr const char* kVersion = "0.1.0";

void configure_logging(const Globals& globals) {
  log::Options options;
  options.file = globals.log_file;
  options.format = globals.log_format == "json" ? log::Format::Json : log::Format::Text;
  options.level = globals.debug ? log::Level::Debug : log::Level::Warn;
  log::configure(options);
}

int report(const Error& error, const Globals& globals) {
  std::string text = error.to_string();
  // podman and conmon read the error from the log file; a person reads stderr.
  if (!globals.log_file.empty()) log::error("{}", text);
  std::fprintf(stderr, "quai-runtime: error: %s\n", text.c_str());
  return 1;
}

}  // namespace
}  // namespace quai::cli

int main(int argc, char** argv) {
  using namespace quai::cli;
  // A hook or console peer that closes its end must not kill the runtime.
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"quai-runtime: an OCI container runtime", "quai-runtime"};
  app.require_subcommand(0, 1);
  app.set_version_flag("-v,--version",
                       std::string("quai-runtime version ") + kVersion + "\nspec: 1.2.0");
  Globals globals;
  app.add_option("--root", globals.runtime.root, "directory for container state")
      ->capture_default_str();
  app.add_option("--log", globals.log_file, "log file (default: stderr)");
  app.add_option("--log-format", globals.log_format, "text or json")
      ->check(CLI::IsMember({"text", "json"}));
  app.add_flag("--debug", globals.debug, "log debug messages");
  app.add_flag("--systemd-cgroup", globals.runtime.systemd_cgroup,
               "accept systemd-style cgroupsPath (slice:prefix:name); cgroups are still managed "
               "through cgroupfs");
  bool rootless = false;
  app.add_flag("--rootless", rootless, "accepted for compatibility");
  Action action;
  add_lifecycle_verbs(app, globals, action);
  add_info_verbs(app, globals, action);
  add_exec_verb(app, globals, action);
  add_update_verb(app, globals, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  configure_logging(globals);
  if (globals.runtime.systemd_cgroup) {
    quai::log::info(
        "--systemd-cgroup: systemd is not used; the cgroup is managed through cgroupfs");
  }
  if (!action) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  }
  auto result = action();
  if (!result) return report(result.error(), globals);
  return *result;
}
