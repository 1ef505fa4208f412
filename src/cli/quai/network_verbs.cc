// network create, ls, inspect, rm, prune, connect and disconnect.

#include <cstdio>

#include "base/sha256.h"
#include "cli/quai/format.h"
#include "cli/quai/verbs.h"
#include "engine/networks.h"
#include "store/ids.h"

namespace quai::cli {
namespace {

// The built-in modes that are not records, listed as Docker lists them.
struct Row {
  std::string id, name, driver;
};

std::vector<Row> rows_of(const std::vector<net::NetworkRecord>& networks) {
  std::vector<Row> rows;
  for (const auto& n : networks) rows.push_back({n.id, n.name, n.driver});
  // Ids derived from the names: the same on every listing, as Docker's are.
  rows.push_back({sha256_hex("quai network host"), "host", "host"});
  rows.push_back({sha256_hex("quai network none"), "none", "null"});
  std::ranges::sort(rows, {}, &Row::name);
  return rows;
}

}  // namespace

void add_network_verbs(CLI::App& app, Globals& globals, Action& action) {
  auto* network = app.add_subcommand("network", "Manage networks");
  network->require_subcommand(1);

  static net::NetworkSpec spec;
  static std::vector<std::string> labels, options;
  auto* create = network->add_subcommand("create", "Create a network");
  create->add_option("-d,--driver", spec.driver, "Driver to manage the Network")
      ->capture_default_str();
  create->add_option("--subnet", spec.subnet, "Subnet in CIDR format");
  create->add_option("--gateway", spec.gateway, "IPv4 Gateway for the master subnet");
  create->add_option("--ip-range", spec.ip_range, "Allocate container ip from a sub-range");
  create->add_flag("--internal", spec.internal, "Restrict external access to the network");
  create->add_option("--label", labels, "Set metadata on a network");
  create->add_option("-o,--opt", options, "Set driver specific options");
  create->add_option("NETWORK", spec.name)->required();
  create->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      spec.labels = key_values(labels);
      spec.options = key_values(options);
      auto created = TRY(engine::create_network(engine, spec));
      std::printf("%s\n", created.id.c_str());
      return 0;
    };
  });

  static bool quiet = false, no_trunc = false;
  auto* ls = network->add_subcommand("ls", "List networks");
  ls->alias("list");
  ls->add_flag("-q,--quiet", quiet, "Only display network IDs");
  ls->add_flag("--no-trunc", no_trunc, "Do not truncate the output");
  ls->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      std::vector<std::vector<std::string>> table;
      for (const auto& row : rows_of(TRY(engine::list_networks(engine)))) {
        std::string id = no_trunc ? row.id : std::string(store::short_id(row.id));
        if (quiet)
          std::printf("%s\n", id.c_str());
        else
          table.push_back({id, row.name, row.driver, "local"});
      }
      if (!quiet)
        std::fputs(render_table({"NETWORK ID", "NAME", "DRIVER", "SCOPE"}, table).c_str(), stdout);
      return 0;
    };
  });

  static std::vector<std::string> names;
  auto* inspect =
      network->add_subcommand("inspect", "Display detailed information on one or more networks");
  inspect->add_option("NETWORK", names)->required();
  inspect->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      Json all = Json::array();
      for (const auto& n : names) {
        auto found = engine::inspect_network(engine, n);
        if (!found && found.error().code() == Errc::NotFound)
          return fail(Errc::NotFound, "No such network: {}", n);
        all.push_back(TRY(std::move(found)));
      }
      std::printf("%s\n", all.dump(4).c_str());
      return 0;
    };
  });

  auto* rm = network->add_subcommand("rm", "Remove one or more networks");
  rm->alias("remove");
  rm->add_option("NETWORK", names)->required();
  rm->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      for (const auto& n : names) {
        TRY(engine::remove_network(engine, n));
        std::printf("%s\n", n.c_str());
      }
      return 0;
    };
  });

  static std::string target_network, container, address;
  static std::vector<std::string> aliases;
  auto* connect = network->add_subcommand("connect", "Connect a container to a network");
  connect->add_option("--ip", address, "IPv4 address (e.g., 172.30.100.104)");
  connect->add_option("--alias", aliases, "Add network-scoped alias for the container");
  connect->add_option("NETWORK", target_network)->required();
  connect->add_option("CONTAINER", container)->required();
  connect->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      TRY(engine::connect_network(engine, target_network, container, address, aliases));
      return 0;
    };
  });

  static bool force = false;
  auto* disconnect = network->add_subcommand("disconnect", "Disconnect a container from a network");
  disconnect->add_flag("-f,--force", force, "Force the container to disconnect from a network");
  disconnect->add_option("NETWORK", target_network)->required();
  disconnect->add_option("CONTAINER", container)->required();
  disconnect->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      TRY(engine::disconnect_network(engine, target_network, container));
      return 0;
    };
  });

  auto* prune = network->add_subcommand("prune", "Remove all unused networks");
  prune->add_flag("-f,--force", force, "Do not prompt for confirmation");
  prune->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      auto removed = TRY(engine::prune_networks(engine));
      if (!removed.empty()) std::printf("Deleted Networks:\n");
      for (const auto& n : removed) std::printf("%s\n", n.c_str());
      return 0;
    };
  });
}

}  // namespace quai::cli
