#pragma once
// Bridges, veth pairs, addresses and routes, over rtnetlink with libnl.

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/ipv4.h"

struct nl_sock;

namespace quai::net {

/// A netlink socket, bound to the network namespace its thread was in when it was opened
/// (it stays there when the thread moves on).
class NetlinkSocket {
 public:
  static Result<NetlinkSocket> open();
  nl_sock* get() const { return socket_.get(); }

 private:
  struct Free {
    void operator()(nl_sock* socket) const;
  };
  explicit NetlinkSocket(nl_sock* socket) : socket_(socket) {}
  std::unique_ptr<nl_sock, Free> socket_;
};

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
Status delete_link(const NetlinkSocket& sock, const std::string& name);

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

/// A veth pair from the bridge into the container, addressed, routed and up: made through
/// `host` (a socket of the host's namespace), configured through `inside` (one of the
/// container's).
Status attach_veth(const NetlinkSocket& host, const NetlinkSocket& inside, const VethPlan& plan);
/// The same from the host's namespace alone: a thread enters the container's to configure it.
Status attach_veth(const VethPlan& plan);
/// The first of `names` that exists and is a port of the bridge with index `bridge_index`;
/// empty when none is.
std::string port_of_bridge(const std::vector<std::string>& names, int bridge_index);
/// Brings `lo` up in the namespace of `inside`.
Status set_loopback_up(const NetlinkSocket& inside);

}  // namespace quai::net
