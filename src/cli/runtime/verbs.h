#pragma once
// quai-runtime's verbs: each adds a subcommand whose callback stores the action to run.

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "base/result.h"
#include "runtime/container.h"
#include "sys/fs.h"

namespace quai::cli {

struct Globals {
  runtime::RuntimeOptions runtime;
  std::string log_file;
  std::string log_format = "text";
  bool debug = false;
};

/// What the chosen verb does; its value is the exit status.
using Action = std::function<Result<int>()>;

void add_lifecycle_verbs(CLI::App& app, Globals& globals, Action& action);
void add_info_verbs(CLI::App& app, Globals& globals, Action& action);
void add_exec_verb(CLI::App& app, Globals& globals, Action& action);
void add_update_verb(CLI::App& app, Globals& globals, Action& action);

using sys::absolute_path;

}  // namespace quai::cli
