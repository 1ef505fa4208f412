#pragma once
// quai's verbs: each adds a subcommand whose callback stores the action to run; the
// action opens the engine, calls one library function and renders the result.

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "engine/engine.h"
#include "sys/fs.h"

namespace quai::cli {

struct Globals {
  engine::EngineOptions engine;
  bool debug = false;
  /// The exit status for an error: 1, or 125 for run/create/start as Docker has it.
  int error_status = 1;
};

using Action = std::function<Result<int>()>;

void add_container_verbs(CLI::App& app, Globals& globals, Action& action);
void add_process_verbs(CLI::App& app, Globals& globals, Action& action);
void add_run_verbs(CLI::App& app, Globals& globals, Action& action);
void add_image_verbs(CLI::App& app, Globals& globals, Action& action);
void add_volume_verbs(CLI::App& app, Globals& globals, Action& action);
void add_network_verbs(CLI::App& app, Globals& globals, Action& action);
void add_system_verbs(CLI::App& app, Globals& globals, Action& action);
void add_cp_verbs(CLI::App& app, Globals& globals, Action& action);
void add_build_verbs(CLI::App& app, Globals& globals, Action& action);
void add_registry_verbs(CLI::App& app, Globals& globals, Action& action);
/// `system df` and `system prune`, under the `system` command.
void add_system_usage_verbs(CLI::App& system, Globals& globals, Action& action);

/// rmi says "Untagged:"/"Deleted:"; the prunes list them in lower case, as Docker's do.
void print_remove_report(const image::RemoveReport& report, bool lower_case);

/// An image as `docker image inspect` shows it: Id, RepoTags, Created, Config, RootFS, …
Result<Json> inspect_image_json(engine::Engine& engine, const image::ImageRecord& image);
/// `inspect` output: the objects as a JSON array, or each through a --format template.
void print_inspected(const Json& objects, const std::string& format);

Result<engine::Engine> open_engine(const Globals& globals);
using sys::absolute_path;

}  // namespace quai::cli
