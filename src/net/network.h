#pragma once
// A network's record: what `network inspect` shows (Docker's shape, without Containers,
// which come from the containers' own records), and the names quai derives from it.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/result.h"
#include "net/ipv4.h"

namespace quai::net {

inline constexpr std::string_view kBridgeNameOption = "com.docker.network.bridge.name";
inline constexpr std::string_view kMtuOption = "com.docker.network.driver.mtu";
inline constexpr std::string_view kMasqueradeOption =
    "com.docker.network.bridge.enable_ip_masquerade";
inline constexpr std::string_view kDefaultBridge = "bridge";  // Docker's default network

struct NetworkRecord {
  std::string id;  // 64 hex digits
  std::string name;
  std::string driver = "bridge";  // bridge; host and null are the built-ins
  std::string created;            // RFC 3339, nanoseconds
  Subnet subnet;
  Ipv4 gateway;
  std::optional<Subnet> ip_range;  // addresses are handed out from here when set
  bool internal = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;

  bool is_default_bridge() const { return name == kDefaultBridge; }
  /// The bridge interface: the bridge.name option, else qbr-<first 11 of the id> (15 bytes,
  /// IFNAMSIZ's limit; a prefix of its own, so no sweep touches docker0, br-* or cni-*).
  std::string interface() const;
  int mtu() const;
  /// Outbound NAT: on unless the enable_ip_masquerade option says "false".
  bool masquerade() const;
  /// The range addresses come from (ip_range, else the subnet).
  Subnet pool() const { return ip_range.value_or(subnet); }

  /// Docker's inspect object; `containers` fills its Containers.
  Json to_json(Json containers = Json::object()) const;
  static Result<NetworkRecord> from_json(const Json& json, std::string_view origin);
};

}  // namespace quai::net
