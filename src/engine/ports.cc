#include "engine/ports.h"

#include <map>

#include "base/strings.h"
#include "net/ipv4.h"

namespace quai::engine {
namespace {

Result<uint16_t> parse_port(std::string_view text) {
  auto value = parse_uint64(text);
  if (!value || *value == 0 || *value > 65535)
    return fail(Errc::InvalidArgument, "invalid port: {}", text);
  return static_cast<uint16_t>(*value);
}

// "80" or "8000-8010": first and last.
Result<std::pair<uint16_t, uint16_t>> parse_range(std::string_view text) {
  auto dash = text.find('-');
  uint16_t first = TRY(parse_port(text.substr(0, dash)));
  uint16_t last = dash == std::string_view::npos ? first : TRY(parse_port(text.substr(dash + 1)));
  if (last < first) return fail(Errc::InvalidArgument, "invalid range: {}", text);
  return std::pair{first, last};
}

// "8080" → 8080..8080, "" → 0, "8000-8010" → 8000..8010.
Result<std::pair<uint16_t, uint16_t>> parse_host_port(std::string_view text) {
  if (text.empty()) return std::pair<uint16_t, uint16_t>{0, 0};
  auto range = parse_range(text);
  if (!range) return fail(Errc::InvalidArgument, "invalid hostPort: {}", text);
  return *range;
}

std::string host_port_text(const PortBinding& binding) {
  if (binding.host_port == 0) return "";
  if (binding.host_port_last > binding.host_port)
    return fmt::format("{}-{}", binding.host_port, binding.host_port_last);
  return std::to_string(binding.host_port);
}

}  // namespace

std::string port_key(uint16_t port, std::string_view protocol) {
  return fmt::format("{}/{}", port, protocol);
}

Result<std::pair<std::vector<uint16_t>, std::string>> parse_port_key(std::string_view key) {
  auto slash = key.find('/');
  std::string protocol =
      slash == std::string_view::npos ? "tcp" : std::string(key.substr(slash + 1));
  if (protocol != "tcp" && protocol != "udp")
    return fail(Errc::InvalidArgument, "invalid proto: {}", protocol);
  auto [first, last] = TRY(parse_range(key.substr(0, slash)));
  std::vector<uint16_t> ports;
  for (uint32_t port = first; port <= last; ++port) ports.push_back(static_cast<uint16_t>(port));
  return std::pair{std::move(ports), std::move(protocol)};
}

Result<std::vector<PortBinding>> parse_publish(std::string_view spec) {
  if (spec.starts_with('['))
    return fail(Errc::InvalidArgument, "{}: IPv6 host addresses are not supported", spec);
  auto parts = split(spec, ':');
  if (parts.size() > 3) return fail(Errc::InvalidArgument, "invalid port format: {}", spec);
  std::string host_ip = parts.size() == 3 ? parts[0] : "";
  if (!host_ip.empty() && !net::Ipv4::parse(host_ip))
    return fail(Errc::InvalidArgument, "invalid IP address: {}", host_ip);
  auto container = parse_port_key(parts.back());
  if (!container) {
    if (container.error().message().starts_with("invalid proto")) return fail(container.error());
    return fail(Errc::InvalidArgument, "invalid containerPort: {}",
                parts.back().substr(0, parts.back().find('/')));
  }
  auto& [container_ports, protocol] = *container;
  auto [host_first, host_last] =
      TRY(parse_host_port(parts.size() >= 2 ? std::string_view(parts[parts.size() - 2]) : ""));
  size_t host_count = host_first == 0 ? 0 : size_t{host_last} - host_first + 1;
  if (container_ports.size() > 1 && host_count != 0 && host_count != container_ports.size())
    return fail(Errc::InvalidArgument,
                "Invalid ranges specified for container and host Ports: {} and {}", parts.back(),
                parts[parts.size() - 2]);
  std::vector<PortBinding> bindings;
  for (size_t i = 0; i < container_ports.size(); ++i) {
    PortBinding binding{container_ports[i], protocol, host_ip, host_first, host_last};
    if (container_ports.size() > 1 && host_count != 0) {
      binding.host_port = static_cast<uint16_t>(host_first + i);
      binding.host_port_last = binding.host_port;
    }
    if (binding.host_port_last == binding.host_port) binding.host_port_last = 0;
    bindings.push_back(std::move(binding));
  }
  return bindings;
}

Json port_bindings_to_json(const std::vector<PortBinding>& bindings) {
  Json json = Json::object();
  for (const auto& binding : bindings) {
    Json& list = json[port_key(binding.container_port, binding.protocol)];
    if (!list.is_array()) list = Json::array();
    list.push_back({{"HostIp", binding.host_ip}, {"HostPort", host_port_text(binding)}});
  }
  return json;
}

Result<std::vector<PortBinding>> port_bindings_from_json(const JsonReader& reader) {
  std::vector<PortBinding> bindings;
  for (const auto& [key, _] : reader.value().items()) {
    auto [ports, protocol] = TRY_CTX(parse_port_key(key), "{}", reader.child_path(key));
    for (const auto& entry : TRY(reader.array(key))) {
      std::string host_ip = TRY(entry.optional_string("HostIp")).value_or("");
      auto host = TRY_CTX(parse_host_port(TRY(entry.optional_string("HostPort")).value_or("")),
                          "{}", entry.path());
      for (uint16_t port : ports)
        bindings.push_back({port, protocol, host_ip, host.first,
                            host.second > host.first ? host.second : uint16_t{0}});
    }
  }
  return bindings;
}

Json published_ports_to_json(const std::vector<PublishedPort>& ports) {
  Json json = Json::object();
  for (const auto& port : ports) {
    Json& list = json[port_key(port.container_port, port.protocol)];
    if (!list.is_array()) list = Json::array();
    list.push_back({{"HostIp", port.host_ip}, {"HostPort", std::to_string(port.host_port)}});
  }
  return json;
}

Result<std::vector<PublishedPort>> published_ports_from_json(const JsonReader& reader) {
  std::vector<PublishedPort> ports;
  for (const auto& [key, _] : reader.value().items()) {
    auto [numbers, protocol] = TRY_CTX(parse_port_key(key), "{}", reader.child_path(key));
    for (const auto& entry : TRY(reader.array(key))) {
      PublishedPort port{numbers.front(), protocol, TRY(entry.string("HostIp")), 0};
      port.host_port = TRY_CTX(parse_port(TRY(entry.string("HostPort"))), "{}", entry.path());
      ports.push_back(std::move(port));
    }
  }
  return ports;
}

std::string ports_column(const std::vector<PublishedPort>& published,
                         const std::vector<std::string>& exposed) {
  std::vector<std::string> shown;
  std::map<std::string, bool> is_published;
  for (const auto& port : published) {
    std::string key = port_key(port.container_port, port.protocol);
    shown.push_back(fmt::format("{}:{}->{}", port.host_ip, port.host_port, key));
    is_published[key] = true;
  }
  for (const auto& key : exposed)
    if (!is_published.contains(key)) shown.push_back(key);
  return join(shown, ", ");
}

}  // namespace quai::engine
