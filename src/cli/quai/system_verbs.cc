// system check; df and prune are in system_df.cc.

#include <cstdio>

#include "cli/quai/verbs.h"

namespace quai::cli {

void add_system_verbs(CLI::App& app, Globals& globals, Action& action) {
  auto* system = app.add_subcommand("system", "Manage quai");
  system->require_subcommand(1);
  auto* check = system->add_subcommand("check", "Check the store for corruption and leftovers");
  check->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      auto report = TRY(engine.images().check(engine.pinned_layers()));
      for (const auto& problem : report.problems) std::printf("%s\n", problem.c_str());
      if (!report.problems.empty()) return 1;
      std::printf("No problems found\n");
      return 0;
    };
  });
  add_system_usage_verbs(*system, globals, action);
}

}  // namespace quai::cli
