// volume create, ls, inspect, rm and prune.

#include <cstdio>

#include "cli/quai/format.h"
#include "cli/quai/verbs.h"
#include "engine/volumes.h"

namespace quai::cli {

void add_volume_verbs(CLI::App& app, Globals& globals, Action& action) {
  auto* volume = app.add_subcommand("volume", "Manage volumes");
  volume->require_subcommand(1);

  static std::string name;
  static std::vector<std::string> labels, names;
  auto* create = volume->add_subcommand("create", "Create a volume");
  create->add_option("-l,--label", labels, "Set metadata for a volume");
  create->add_option("VOLUME", name);
  create->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      auto created = TRY(engine::create_volume(engine, name, key_values(labels)));
      std::printf("%s\n", created.name.c_str());
      return 0;
    };
  });

  static bool quiet = false;
  static std::string format;
  auto* ls = volume->add_subcommand("ls", "List volumes");
  ls->alias("list");
  ls->add_flag("-q,--quiet", quiet, "Only display volume names");
  ls->add_option("--format", format, "Format output using a template");
  ls->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      std::vector<std::vector<std::string>> rows;
      std::optional<Template> tmpl;
      if (!format.empty()) tmpl.emplace(format);
      for (const auto& v : TRY(engine::list_volumes(engine))) {
        if (quiet)
          std::printf("%s\n", v.name.c_str());
        else if (tmpl)
          std::printf(
              "%s\n",
              tmpl->render({{"Name", v.name}, {"Driver", "local"}, {"Mountpoint", v.data_path}},
                           v.to_inspect_json())
                  .c_str());
        else
          rows.push_back({"local", v.name});
      }
      if (!quiet && !tmpl)
        std::fputs(render_table({"DRIVER", "VOLUME NAME"}, rows).c_str(), stdout);
      return 0;
    };
  });

  auto* inspect =
      volume->add_subcommand("inspect", "Display detailed information on one or more volumes");
  inspect->add_option("VOLUME", names)->required();
  inspect->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      Json all = Json::array();
      for (const auto& n : names)
        all.push_back(TRY(engine::find_volume(engine, n)).to_inspect_json());
      std::printf("%s\n", all.dump(4).c_str());
      return 0;
    };
  });

  static bool force = false, all = false;
  auto* rm = volume->add_subcommand("rm", "Remove one or more volumes");
  rm->alias("remove");
  rm->add_flag("-f,--force", force, "Force the removal of one or more volumes");
  rm->add_option("VOLUME", names)->required();
  rm->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      for (const auto& n : names) {
        TRY(engine::remove_volume(engine, n, force));
        std::printf("%s\n", n.c_str());
      }
      return 0;
    };
  });

  auto* prune = volume->add_subcommand("prune", "Remove unused local volumes");
  prune->add_flag("-a,--all", all, "Remove all unused volumes, not just anonymous ones");
  prune->add_flag("-f,--force", force, "Do not prompt for confirmation");
  prune->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      auto removed = TRY(engine::prune_volumes(engine, all));
      if (!removed.empty()) std::printf("Deleted Volumes:\n");
      for (const auto& n : removed) std::printf("%s\n", n.c_str());
      return 0;
    };
  });
}

}  // namespace quai::cli
