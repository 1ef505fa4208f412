#include "engine/internal/publishing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "net/firewall.h"

namespace quai::engine::internal {
namespace {

// The socket that holds `port` (0: the kernel picks one, which `port` then names), or
// AlreadyExists when a program or another container has it.
Result<sys::UniqueFd> bind_host_port(PublishedPort& port) {
  int type = port.protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
  sys::UniqueFd socket(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  if (!socket) return fail_errno(errno, "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port.host_port);
  if (::inet_pton(AF_INET, port.host_ip.c_str(), &address.sin_addr) != 1)
    return fail(Errc::InvalidArgument, "invalid IP address: {}", port.host_ip);
  if (::bind(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    std::string where = fmt::format("{}:{}", port.host_ip, port.host_port);
    if (error == EADDRINUSE)
      return fail(Errc::AlreadyExists, "Bind for {} failed: port is already allocated", where);
    return fail_errno(error, "Bind for {} failed", where);
  }
  socklen_t length = sizeof address;
  ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&address), &length);
  port.host_port = ntohs(address.sin_port);
  return socket;
}

// The first free port of the binding's range, or its one port (0: any).
Result<PortReservation> reserve(const PortBinding& binding) {
  PublishedPort port{binding.container_port, binding.protocol,
                     binding.host_ip.empty() ? "0.0.0.0" : binding.host_ip, binding.host_port};
  uint16_t last = std::max(binding.host_port_last, binding.host_port);
  for (uint32_t candidate = binding.host_port;; ++candidate) {
    port.host_port = static_cast<uint16_t>(candidate);
    auto bound = bind_host_port(port);
    if (bound) return PortReservation{port, std::move(*bound)};
    if (bound.error().code() != Errc::AlreadyExists || candidate >= last)
      return std::unexpected(bound.error());
  }
}

std::vector<PortBinding> wanted_bindings(const ContainerRecord& record) {
  std::vector<PortBinding> wanted = record.port_bindings;
  if (!record.publish_all) return wanted;
  for (const auto& key : record.exposed_ports) {
    auto parsed = parse_port_key(key);
    if (!parsed) continue;
    for (uint16_t port : parsed->first) {
      bool published = std::ranges::any_of(wanted, [&](const PortBinding& b) {
        return b.container_port == port && b.protocol == parsed->second;
      });
      if (!published) wanted.push_back({port, parsed->second, "", 0, 0});
    }
  }
  return wanted;
}

net::PortForward forward_of(const PublishedPort& port, net::Ipv4 container) {
  return {net::Ipv4::parse(port.host_ip).value_or(net::Ipv4{0}), port.protocol, port.host_port,
          container, port.container_port};
}

}  // namespace

Result<std::vector<PortReservation>> reserve_ports(const ContainerRecord& record) {
  std::vector<PortReservation> reservations;
  if (!joins_networks(record)) return reservations;  // host and none publish nothing
  for (const auto& binding : wanted_bindings(record)) reservations.push_back(TRY(reserve(binding)));
  return reservations;
}

std::vector<PublishedPort> published(const std::vector<PortReservation>& reservations) {
  std::vector<PublishedPort> ports;
  for (const auto& reservation : reservations) ports.push_back(reservation.port);
  return ports;
}

Status publish_ports(Engine& engine, const std::vector<PortReservation>& reservations,
                     const std::vector<Endpoint>& endpoints) {
  if (reservations.empty() || endpoints.empty()) return ok();
  std::vector<net::PortForward> forwards;
  for (const auto& reservation : reservations)
    forwards.push_back(forward_of(reservation.port, endpoints.front().address));
  TRY_CTX(firewall(engine).publish(forwards), "publish ports");
  return ok();
}

void unpublish_ports(Engine& engine, const std::vector<PortReservation>& reservations) {
  std::vector<net::PortForward> forwards;
  for (const auto& reservation : reservations)
    forwards.push_back(forward_of(reservation.port, net::Ipv4{0}));
  (void)firewall(engine).unpublish(forwards);
}

void release_orphan_ports(Engine& engine, const std::vector<PublishedPort>& ports) {
  std::vector<net::PortForward> orphans;
  std::vector<sys::UniqueFd> held;  // until the elements are gone
  for (PublishedPort port : ports) {
    auto bound = bind_host_port(port);
    if (!bound) continue;  // a live container has it again, and its element
    held.push_back(std::move(*bound));
    orphans.push_back(forward_of(port, net::Ipv4{0}));
  }
  (void)firewall(engine).unpublish(orphans);
}

}  // namespace quai::engine::internal
