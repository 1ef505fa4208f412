#pragma once
// Published ports as Docker's users write them (-p [ip:][hostPort:]containerPort[/proto],
// ranges, -P) and as its API and inspect show them:
//
//   HostConfig.PortBindings   {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}
//   Config.ExposedPorts       {"80/tcp": {}}
//   NetworkSettings.Ports     {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "32768"}]}

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"

namespace quai::engine {

/// One container port published as asked (a -p, or an element of PortBindings).
struct PortBinding {
  uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp or udp
  std::string host_ip;           // empty: every address of the host
  uint16_t host_port = 0;        // 0: one the kernel picks
  uint16_t host_port_last = 0;   // > host_port: the first free one of host_port..last

  bool operator==(const PortBinding&) const = default;
};

/// A port a running container has published: what `quai port` and `ps` show.
struct PublishedPort {
  uint16_t container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip = "0.0.0.0";
  uint16_t host_port = 0;

  bool operator==(const PublishedPort&) const = default;
};

/// "80/tcp".
std::string port_key(uint16_t port, std::string_view protocol);
/// Parses "80", "80/udp" or "80-81/tcp" into ports and a protocol (tcp when none):
/// "invalid port …", "invalid proto: …".
Result<std::pair<std::vector<uint16_t>, std::string>> parse_port_key(std::string_view key);

/// One -p: "[ip:][hostPort:]containerPort[/proto]", each port may be a range ("8000-8001:
/// 80-81"; a host range for one container port means "any free one of them"). Docker's
/// messages: "invalid containerPort: x", "invalid hostPort: x", "invalid IP address: x",
/// "invalid proto: x".
Result<std::vector<PortBinding>> parse_publish(std::string_view spec);

Json port_bindings_to_json(const std::vector<PortBinding>& bindings);
Result<std::vector<PortBinding>> port_bindings_from_json(const JsonReader& reader);
Json published_ports_to_json(const std::vector<PublishedPort>& ports);
Result<std::vector<PublishedPort>> published_ports_from_json(const JsonReader& reader);

/// `ps`'s PORTS: "127.0.0.1:8080->80/tcp, 443/tcp", published first, then the exposed ports
/// nobody published.
std::string ports_column(const std::vector<PublishedPort>& published,
                         const std::vector<std::string>& exposed);

}  // namespace quai::engine
