#pragma once
// The packet filter and NAT of one engine's networks: an nftables table whose rules never
// change once made, and whose sets and maps say which bridges and published ports there
// are (docs/DECISIONS.md). Adding a network or a published port adds elements, one atomic
// batch through libnftables, which is loaded with dlopen() the first time it is needed
// (a run without -p and on a bridge already made never loads it).
//
//   publish       host address . protocol . port → container address . port (DNAT), taken
//                 for packets to a local address, from outside (prerouting) and from the
//                 host itself, loopback included (output)
//   postrouting   masquerade: from loopback into a bridge, a container reaching another
//                 through a published port (hairpin), and traffic out of a network that
//                 has outbound NAT
//   forward       within a network: accepted; out of or into an --internal one: dropped;
//                 replies and published ports: accepted; between networks and from
//                 outside into one: dropped
//   guard         a packet from a bridge to 127.0.0.0/8 is dropped (route_localnet is on
//                 for the bridges, so that loopback can be DNATed into them)

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/ipv4.h"

namespace quai::net {

struct BridgeRules {
  std::string interface;
  bool internal = false;   // nothing in or out but the network's own traffic
  bool masquerade = true;  // outbound NAT (Docker's enable_ip_masquerade)
};

/// One published port as the kernel sees it; host_address 0.0.0.0 is every local address.
struct PortForward {
  Ipv4 host_address;
  std::string protocol;  // tcp or udp
  uint16_t host_port = 0;
  Ipv4 container_address;
  uint16_t container_port = 0;
};

class Firewall {
 public:
  /// The table of the engine whose root is `root`: "quai" for /var/lib/quai, else one
  /// named from the root (a test's store has its own, removed with it).
  static std::string table_for(const std::string& root, bool machine_store);
  explicit Firewall(std::string table) : table_(std::move(table)) {}

  /// Makes the table if this boot has none yet, then adds the bridge to its sets and turns
  /// on what the rules need on it (forwarding from it, route_localnet).
  Status add_bridge(const BridgeRules& bridge);
  /// Forgets the bridge (its network is removed); a table or element not there is no error.
  Status remove_bridge(const BridgeRules& bridge);
  /// DNATs each host port to its container. An element left by a monitor that died is
  /// replaced: the caller holds the host port bound, so no live container owns it.
  Status publish(const std::vector<PortForward>& ports);
  /// Stops forwarding the ports; one not there is no error.
  Status unpublish(const std::vector<PortForward>& ports);
  /// Deletes the whole table (a test store's teardown, `system reset`).
  Status remove_table();

  const std::string& table() const { return table_; }

 private:
  Status ensure_table();
  std::string table_;
};

}  // namespace quai::net
