#include "engine/networks.h"

#include <net/if.h>

#include <algorithm>
#include <cctype>

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

// -o com.docker.network.bridge.name: a plain interface name (it goes into netlink requests
// and nftables text), and not one the host or another network already has, which `network
// rm` would then delete.
Status check_bridge_name(const std::string& name) {
  bool plain = !name.empty() && name.size() <= 15 && std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
  if (!plain)
    return fail(Errc::InvalidArgument,
                "{}={}: a bridge name is 1 to 15 letters, digits, '_', '.' or '-'",
                net::kBridgeNameOption, name);
  if (::if_nametoindex(name.c_str()) != 0)
    return fail(Errc::AlreadyExists, "{}={}: the host has an interface of that name already",
                net::kBridgeNameOption, name);
  return ok();
}

}  // namespace

Result<net::NetworkRecord> create_network(Engine& engine, const net::NetworkSpec& spec) {
  if (spec.name == "host" || spec.name == "none" || spec.name == net::kDefaultBridge)
    return fail(Errc::AlreadyExists, "network with name {} already exists", spec.name);
  if (auto named = spec.options.find(std::string(net::kBridgeNameOption));
      named != spec.options.end())
    TRY(check_bridge_name(named->second));
  auto store = TRY(open_store(engine));
  auto network = TRY(store.create(spec, TRY(net::host_subnets()), net::host_mtu()));
  auto bridge = internal::ensure_network_bridge(engine, network);
  if (!bridge) {
    (void)internal::remove_network_bridge(engine, network);
    (void)store.remove(network);
    return std::unexpected(bridge.error());
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
  TRY(internal::remove_network_bridge(engine, network));
  return store.remove(network);
}

Json network_settings(Engine& engine, const ContainerView& view) {
  const ContainerRecord& record = view.record;
  bool running = view.state.status == RunStatus::Running;
  Json ports = Json::object();
  if (running) {
    for (const auto& key : record.exposed_ports) ports[key] = nullptr;
    Json published = published_ports_to_json(view.state.ports);
    for (const auto& [key, list] : published.items()) ports[key] = list;
  }
  Json networks = Json::object();
  Json settings = {
      {"Ports", ports}, {"IPAddress", ""}, {"IPPrefixLen", 0}, {"Gateway", ""}, {"MacAddress", ""}};
  for (const auto& endpoint :
       running ? internal::held_endpoints(engine, record) : std::vector<internal::Endpoint>{}) {
    const net::NetworkRecord& network = endpoint.network;
    Json ipam = Json::object();
    if (!record.ipv4_address.empty()) ipam["IPv4Address"] = record.ipv4_address;
    networks[network.name] = {{"IPAMConfig", ipam},
                              {"Links", record.links},
                              {"Aliases", record.network_aliases},
                              {"MacAddress", net::mac_for(endpoint.address)},
                              {"NetworkID", network.id},
                              {"EndpointID", ""},
                              {"Gateway", network.gateway.str()},
                              {"IPAddress", endpoint.address.str()},
                              {"IPPrefixLen", network.subnet.prefix},
                              {"DNSNames", Json::array({record.name, record.id.substr(0, 12)})}};
    if (network.is_default_bridge()) {
      settings["IPAddress"] = endpoint.address.str();
      settings["IPPrefixLen"] = network.subnet.prefix;
      settings["Gateway"] = network.gateway.str();
      settings["MacAddress"] = net::mac_for(endpoint.address);
    }
  }
  settings["Networks"] = networks;
  return settings;
}

Status connect_network(Engine& engine, const std::string& network, const std::string& container,
                       const std::string& address, const std::vector<std::string>& aliases) {
  return internal::connect_container(engine, network, container, {network, address, aliases});
}

Status disconnect_network(Engine& engine, const std::string& network,
                          const std::string& container) {
  return internal::disconnect_container(engine, network, container);
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
