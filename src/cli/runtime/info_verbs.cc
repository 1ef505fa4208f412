// state, list, ps, spec, features.

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "base/strings.h"
#include "cli/runtime/verbs.h"
#include "runtime/features.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace quai::cli {
namespace {

void print_json(const Json& json) { std::printf("%s\n", json.dump(2).c_str()); }

void add_state(CLI::App& app, Globals& globals, Action& action) {
  auto id = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("state", "print the container's state as JSON");
  sub->add_option("id", *id, "container id")->required();
  sub->callback([&globals, &action, id] {
    action = [&globals, id]() -> Result<int> {
      auto container = TRY(runtime::load_container(globals.runtime, *id));
      print_json(container.oci_state());
      return 0;
    };
  });
}

struct ListArgs {
  std::string format = "table";
  bool quiet = false;
};

void print_table(const std::vector<runtime::Container>& containers) {
  std::vector<std::vector<std::string>> rows = {
      {"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
  for (const auto& c : containers) {
    auto state = c.oci_state();
    rows.push_back({c.state.id, std::to_string(state["pid"].get<int>()),
                    state["status"].get<std::string>(), c.state.bundle, c.state.created,
                    c.state.owner});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 3, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
}

void add_list(CLI::App& app, Globals& globals, Action& action) {
  auto args = std::make_shared<ListArgs>();
  auto* sub = app.add_subcommand("list", "list containers");
  sub->alias("ls");
  sub->add_option("-f,--format", args->format, "table or json")
      ->check(CLI::IsMember({"table", "json"}));
  sub->add_flag("-q,--quiet", args->quiet, "print ids only");
  sub->callback([&globals, &action, args] {
    action = [&globals, args]() -> Result<int> {
      auto containers = TRY(runtime::list_containers(globals.runtime));
      if (args->quiet) {
        for (const auto& c : containers) std::printf("%s\n", c.state.id.c_str());
      } else if (args->format == "json") {
        Json out = Json::array();
        for (const auto& c : containers) out.push_back(c.oci_state());
        std::printf("%s\n", out.dump().c_str());
      } else {
        print_table(containers);
      }
      return 0;
    };
  });
}

// `ps ID [ps options]`: with --format json the pids; otherwise ps(1) output limited to
// the container's processes, as runc does.
Result<int> run_ps(const Globals& globals, const std::string& format,
                   const std::vector<std::string>& rest) {
  if (rest.empty()) return fail(Errc::InvalidArgument, "ps: missing container id");
  auto pids = TRY(runtime::container_pids(globals.runtime, rest[0]));
  if (format == "json") {
    std::printf("%s\n", Json(pids).dump().c_str());
    return 0;
  }
  std::vector<std::string> ps_args(rest.begin() + 1, rest.end());
  std::fputs(TRY(sys::ps_of(pids, ps_args)).c_str(), stdout);
  return 0;
}

void add_ps(CLI::App& app, Globals& globals, Action& action) {
  auto format = std::make_shared<std::string>("table");
  auto* sub = app.add_subcommand("ps", "list the container's processes");
  sub->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  sub->prefix_command();
  sub->callback([&globals, &action, format, sub] {
    auto rest = std::make_shared<std::vector<std::string>>(sub->remaining());
    action = [&globals, format, rest] { return run_ps(globals, *format, *rest); };
  });
}

struct SpecArgs {
  std::string bundle;
  bool rootless = false;
};

void add_spec(CLI::App& app, Globals& globals, Action& action) {
  (void)globals;
  auto args = std::make_shared<SpecArgs>();
  auto* sub = app.add_subcommand("spec", "write a template config.json");
  sub->add_option("-b,--bundle", args->bundle, "directory to write config.json in");
  sub->add_flag("--rootless", args->rootless, "a config for a user namespace");
  sub->callback([&action, args] {
    action = [args]() -> Result<int> {
      std::string path = absolute_path(args->bundle) + "/config.json";
      if (sys::path_exists(path)) return fail(Errc::AlreadyExists, "\"{}\" already exists", path);
      TRY(sys::write_file_atomic(path, runtime::default_spec_json(args->rootless).dump(2) + "\n",
                                 0644));
      return 0;
    };
  });
}

void add_features(CLI::App& app, Action& action) {
  auto* sub = app.add_subcommand("features", "print what this runtime supports, as JSON");
  sub->callback([&action] {
    action = []() -> Result<int> {
      print_json(runtime::features_json());
      return 0;
    };
  });
}

}  // namespace

void add_info_verbs(CLI::App& app, Globals& globals, Action& action) {
  add_state(app, globals, action);
  add_list(app, globals, action);
  add_ps(app, globals, action);
  add_spec(app, globals, action);
  add_features(app, action);
}

}  // namespace quai::cli
