#pragma once
// Bridges, veth pairs, addresses and routes, over rtnetlink with libnl.

#include <string>
#include <vector>

#include "base/result.h"
#include "net/ipv4.h"

namespace quai::net {

/// The MTU of the interface the host's default route leaves by; 1500 without one.
int host_mtu();
/// The IPv4 subnets the host routes to (the default route aside): a network must not
/// overlap them.
Result<std::vector<Subnet>> host_subnets();

struct Bridge {
  int index = 0;      // the interface's index
  bool made = false;  // by this call: this boot's first use
};
/// Makes bridge `name` holding `gateway` in `subnet`, with `mtu`, and brings it up; a bridge
/// already up is left as it is (one netlink request, on every container start).
Result<Bridge> ensure_bridge(const std::string& name, Ipv4 gateway, const Subnet& subnet, int mtu);
/// Deletes an interface; one that is not there is no error.
Status delete_link(const std::string& name);

struct VethPlan {
  std::string host_name;  // the host's end, enslaved to the bridge
  int bridge_index = 0;
  int netns_fd = -1;  // the container's network namespace
  std::string inner_name = "eth0";
  Ipv4 address;
  Subnet subnet;
  Ipv4 gateway;
  bool default_route = true;
  int mtu = 1500;
  std::string mac;
};

/// A veth pair from the bridge into the container, addressed, routed and up.
Status attach_veth(const VethPlan& plan);

}  // namespace quai::net
