#pragma once
// Published ports, held by the container's monitor (docs/DECISIONS.md): each host port is
// bound by a socket of the monitor that never listens or reads (the kernel's DNAT comes
// before local delivery, so nothing reaches it), which keeps every other program and
// container off the port and frees it whatever ends the monitor. The forwarding itself is
// an element of the engine's nftables table, added once the container has its address
// and removed when the monitor ends; one a killed monitor left is removed by the next
// reader that sees the container dead, or replaced by the next container to bind the port.

#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "engine/internal/networking.h"
#include "sys/fd.h"

namespace quai::engine::internal {

struct PortReservation {
  PublishedPort port;
  sys::UniqueFd socket;
};

/// Binds the host port of every -p, and of -P for every exposed port not published
/// otherwise; a port 0 becomes one the kernel picks. Docker's message when one is taken:
/// "Bind for 0.0.0.0:8080 failed: port is already allocated".
Result<std::vector<PortReservation>> reserve_ports(const ContainerRecord& record);
/// What the reservations give: the ports `inspect`, `port` and `ps` show.
std::vector<PublishedPort> published(const std::vector<PortReservation>& reservations);
/// Forwards each reserved port to the container's address on its first network.
Status publish_ports(Engine& engine, const std::vector<PortReservation>& reservations,
                     const std::vector<Endpoint>& endpoints);
void unpublish_ports(Engine& engine, const std::vector<PortReservation>& reservations);
/// The forwarding a dead monitor left: removed for each port nobody holds now (this
/// process binds it meanwhile, so no container can take it in between).
void release_orphan_ports(Engine& engine, const std::vector<PublishedPort>& ports);

}  // namespace quai::engine::internal
