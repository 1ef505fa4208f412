#include "engine/networks.h"

#include <algorithm>

#include "base/strings.h"
#include "engine/internal/networking.h"
#include "net/link.h"

namespace quai::engine {
namespace {

Result<net::NetworkStore> open_store(Engine& engine) {
  return net::NetworkStore::open(engine.root());
}

// Container id → address, for the claims whose monitor still lives.
Result<std::vector<std::pair<std::string, net::Ipv4>>> live_endpoints(
    net::NetworkStore& store, const net::NetworkRecord& network) {
  std::vector<std::pair<std::string, net::Ipv4>> live;
  for (const auto& [address, holder] : TRY(store.claims(network))) {
    if (internal::monitor_gone(holder)) continue;
    live.emplace_back(holder.substr(0, holder.find(':')), address);
  }
  return live;
}

}  // namespace

Result<net::NetworkRecord> create_network(Engine& engine, const net::NetworkSpec& spec) {
  if (spec.name == "host" || spec.name == "none" || spec.name == net::kDefaultBridge)
    return fail(Errc::AlreadyExists, "network with name {} already exists", spec.name);
  auto store = TRY(open_store(engine));
  auto network = TRY(store.create(spec, TRY(net::host_subnets()), net::host_mtu()));
  auto bridge =
      net::ensure_bridge(network.interface(), network.gateway, network.subnet, network.mtu());
  if (!bridge) {
    (void)net::delete_link(network.interface());
    (void)store.remove(network);
    return fail(bridge.error().add_context(fmt::format("network {}", spec.name)));
  }
  return network;
}

Result<std::vector<net::NetworkRecord>> list_networks(Engine& engine) {
  TRY(internal::find_network(engine, std::string(net::kDefaultBridge)));
  auto store = TRY(open_store(engine));
  auto networks = TRY(store.list());
  std::ranges::sort(networks, {}, &net::NetworkRecord::name);
  return networks;
}

Result<Json> inspect_network(Engine& engine, const std::string& name_or_id) {
  auto store = TRY(open_store(engine));
  auto network = name_or_id == net::kDefaultBridge ? TRY(internal::find_network(engine, name_or_id))
                                                   : TRY(store.find(name_or_id));
  Json containers = Json::object();
  for (const auto& [id, address] : TRY(live_endpoints(store, network))) {
    auto view = engine.find_container(id);
    containers[id] = {{"Name", view ? view->record.name : ""},
                      {"EndpointID", ""},
                      {"MacAddress", net::mac_for(address)},
                      {"IPv4Address", fmt::format("{}/{}", address.str(), network.subnet.prefix)},
                      {"IPv6Address", ""}};
  }
  return network.to_json(std::move(containers));
}

Status remove_network(Engine& engine, const std::string& name_or_id) {
  auto store = TRY(open_store(engine));
  auto network = TRY(store.find(name_or_id));
  if (network.is_default_bridge())
    return fail(Errc::PermissionDenied, "bridge is a pre-defined network and cannot be removed");
  if (!TRY(live_endpoints(store, network)).empty())
    return fail(Errc::Busy, "error while removing network: network {} id {} has active endpoints",
                network.name, network.id);
  TRY_CTX(net::delete_link(network.interface()), "network {}", network.name);
  return store.remove(network);
}

Result<std::vector<std::string>> prune_networks(Engine& engine) {
  auto store = TRY(open_store(engine));
  std::vector<std::string> removed;
  for (const auto& network : TRY(store.list())) {
    if (network.is_default_bridge() || !TRY(live_endpoints(store, network)).empty()) continue;
    TRY(remove_network(engine, network.id));
    removed.push_back(network.name);
  }
  return removed;
}

}  // namespace quai::engine
