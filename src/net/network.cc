#include "net/network.h"

#include <charconv>

namespace quai::net {

std::string NetworkRecord::interface() const {
  if (auto named = options.find(std::string(kBridgeNameOption)); named != options.end())
    return named->second;
  return "qbr-" + id.substr(0, 11);
}

int NetworkRecord::mtu() const {
  int mtu = 1500;
  if (auto set = options.find(std::string(kMtuOption)); set != options.end())
    std::from_chars(set->second.data(), set->second.data() + set->second.size(), mtu);
  return mtu;
}

bool NetworkRecord::masquerade() const {
  auto set = options.find(std::string(kMasqueradeOption));
  return set == options.end() || set->second != "false";
}

Json NetworkRecord::to_json(Json containers) const {
  Json config{{"Subnet", subnet.str()}, {"Gateway", gateway.str()}};
  if (ip_range) config["IPRange"] = ip_range->str();
  return Json{{"Name", name},
              {"Id", id},
              {"Created", created},
              {"Scope", "local"},
              {"Driver", driver},
              {"EnableIPv6", false},
              {"IPAM", {{"Driver", "default"}, {"Options", Json::object()}, {"Config", {config}}}},
              {"Internal", internal},
              {"Attachable", false},
              {"Ingress", false},
              {"ConfigFrom", {{"Network", ""}}},
              {"ConfigOnly", false},
              {"Containers", std::move(containers)},
              {"Options", options},
              {"Labels", labels}};
}

Result<NetworkRecord> NetworkRecord::from_json(const Json& json, std::string_view origin) {
  JsonReader reader(json, std::string(origin));
  TRY(reader.expect_object());
  NetworkRecord r;
  r.name = TRY(reader.string("Name"));
  r.id = TRY(reader.string("Id"));
  r.created = TRY(reader.string("Created"));
  r.driver = TRY(reader.string("Driver"));
  r.internal = TRY(reader.boolean("Internal", false));
  r.labels = TRY(reader.string_map("Labels"));
  r.options = TRY(reader.string_map("Options"));
  auto configs = TRY(TRY(reader.object("IPAM")).array("Config"));
  if (configs.size() != 1)
    return fail(Errc::Corrupt, "{}: IPAM.Config: expected one IPv4 subnet", origin);
  const JsonReader& config = configs[0];
  r.subnet = TRY_CTX(Subnet::parse(TRY(config.string("Subnet"))), "{}", config.path());
  r.gateway = TRY_CTX(Ipv4::parse(TRY(config.string("Gateway"))), "{}", config.path());
  if (auto range = TRY(config.optional_string("IPRange")))
    r.ip_range = TRY_CTX(Subnet::parse(*range), "{}", config.path());
  return r;
}

}  // namespace quai::net
