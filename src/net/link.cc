// libnl is used as a C library: every object it allocates is put back by a unique_ptr.
#include "net/link.h"

#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>

#include <memory>
#include <thread>

namespace quai::net {
namespace {

// Each libnl object goes back through its own free or put function.
template <typename T, void (*Release)(T*)>
using Owned = std::unique_ptr<T, decltype([](T* object) { Release(object); })>;
using Socket = Owned<nl_sock, nl_socket_free>;
using Link = Owned<rtnl_link, rtnl_link_put>;
using Addr = Owned<nl_addr, nl_addr_put>;
using RtAddr = Owned<rtnl_addr, rtnl_addr_put>;
using Route = Owned<rtnl_route, rtnl_route_put>;
using Cache = Owned<nl_cache, nl_cache_free>;

Error netlink_error(int code, std::string what) {
  Errc errc = code == -NLE_EXIST                                ? Errc::AlreadyExists
              : code == -NLE_OBJ_NOTFOUND || code == -NLE_NODEV ? Errc::NotFound
                                                                : Errc::Io;
  return Error(errc, what + ": " + nl_geterror(code));
}

Result<Socket> connect() {
  Socket sock(nl_socket_alloc());
  if (!sock) return fail(Errc::Io, "netlink: out of memory");
  if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
    return std::unexpected(netlink_error(err, "netlink: connect"));
  return sock;
}

Result<Link> get_link(nl_sock* sock, const std::string& name) {
  rtnl_link* link = nullptr;
  if (int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &link); err < 0)
    return std::unexpected(netlink_error(err, "interface " + name));
  return Link(link);
}

Result<Addr> address_of(Ipv4 address, int prefix) {
  nl_addr* addr = nullptr;
  std::string text = address.str() + "/" + std::to_string(prefix);
  if (int err = nl_addr_parse(text.c_str(), AF_INET, &addr); err < 0)
    return std::unexpected(netlink_error(err, "address " + text));
  return Addr(addr);
}

Status set_up(nl_sock* sock, rtnl_link* link, const std::string& name) {
  Link change(rtnl_link_alloc());
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock, link, change.get(), 0); err < 0)
    return std::unexpected(netlink_error(err, "bring " + name + " up"));
  return ok();
}

Status add_address(nl_sock* sock, int ifindex, Ipv4 address, const Subnet& subnet,
                   const std::string& name) {
  RtAddr addr(rtnl_addr_alloc());
  Addr local = TRY(address_of(address, subnet.prefix));
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), subnet.prefix);
  Addr broadcast = TRY(address_of(subnet.at(subnet.size() - 1), 32));
  rtnl_addr_set_broadcast(addr.get(), broadcast.get());
  if (int err = rtnl_addr_add(sock, addr.get(), 0); err < 0 && err != -NLE_EXIST)
    return std::unexpected(netlink_error(err, "add " + address.str() + " to " + name));
  return ok();
}

Status add_default_route(nl_sock* sock, int ifindex, Ipv4 gateway) {
  Route route(rtnl_route_alloc());
  Addr any = TRY(address_of(Ipv4{0}, 0));
  Addr via = TRY(address_of(gateway, 32));
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_dst(route.get(), any.get());
  rtnl_nexthop* hop = rtnl_route_nh_alloc();
  rtnl_route_nh_set_ifindex(hop, ifindex);
  rtnl_route_nh_set_gateway(hop, via.get());
  rtnl_route_add_nexthop(route.get(), hop);  // the route owns the hop now
  if (int err = rtnl_route_add(sock, route.get(), 0); err < 0)
    return std::unexpected(netlink_error(err, "default route via " + gateway.str()));
  return ok();
}

// Inside the container: the address, the default route and the link up.
Status configure_inside(nl_sock* sock, const VethPlan& plan) {
  Link link = TRY(get_link(sock, plan.inner_name));
  int index = rtnl_link_get_ifindex(link.get());
  TRY(add_address(sock, index, plan.address, plan.subnet, plan.inner_name));
  TRY(set_up(sock, link.get(), plan.inner_name));
  if (plan.default_route) TRY(add_default_route(sock, index, plan.gateway));
  return ok();
}

Status make_veth(nl_sock* sock, const VethPlan& plan) {
  Link veth(rtnl_link_veth_alloc());
  rtnl_link_set_name(veth.get(), plan.host_name.c_str());
  rtnl_link_set_master(veth.get(), plan.bridge_index);
  rtnl_link_set_mtu(veth.get(), static_cast<unsigned>(plan.mtu));
  rtnl_link_set_flags(veth.get(), IFF_UP);
  rtnl_link* peer = rtnl_link_veth_get_peer(veth.get());
  rtnl_link_set_name(peer, plan.inner_name.c_str());
  rtnl_link_set_ns_fd(peer, plan.netns_fd);
  rtnl_link_set_mtu(peer, static_cast<unsigned>(plan.mtu));
  nl_addr* mac = nullptr;
  if (nl_addr_parse(plan.mac.c_str(), AF_LLC, &mac) >= 0) {
    rtnl_link_set_addr(peer, mac);
    nl_addr_put(mac);
  }
  int err = rtnl_link_add(sock, veth.get(), NLM_F_CREATE | NLM_F_EXCL);
  rtnl_link_put(peer);
  if (err < 0) return std::unexpected(netlink_error(err, "create veth " + plan.host_name));
  return ok();
}

}  // namespace

void NetlinkSocket::Free::operator()(nl_sock* socket) const { nl_socket_free(socket); }

Result<NetlinkSocket> NetlinkSocket::open() {
  Socket sock = TRY(connect());
  return NetlinkSocket(sock.release());
}

int host_mtu() {
  auto sock = connect();
  if (!sock) return 1500;
  nl_cache* routes = nullptr;
  if (rtnl_route_alloc_cache(sock->get(), AF_INET, 0, &routes) < 0) return 1500;
  Cache owned(routes);
  int mtu = 1500;
  for (nl_object* obj = nl_cache_get_first(routes); obj; obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);
    nl_addr* dst = rtnl_route_get_dst(route);
    if (rtnl_route_get_table(route) != RT_TABLE_MAIN || !dst || nl_addr_get_prefixlen(dst) != 0 ||
        rtnl_route_get_nnexthops(route) < 1)
      continue;
    int index = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0));
    rtnl_link* link = nullptr;
    if (rtnl_link_get_kernel(sock->get(), index, nullptr, &link) >= 0) {
      mtu = static_cast<int>(rtnl_link_get_mtu(link));
      rtnl_link_put(link);
    }
    break;
  }
  return mtu;
}

Result<std::vector<Subnet>> host_subnets() {
  Socket sock = TRY(connect());
  nl_cache* routes = nullptr;
  if (int err = rtnl_route_alloc_cache(sock.get(), AF_INET, 0, &routes); err < 0)
    return std::unexpected(netlink_error(err, "list the host's routes"));
  Cache owned(routes);
  std::vector<Subnet> subnets;
  for (nl_object* obj = nl_cache_get_first(routes); obj; obj = nl_cache_get_next(obj)) {
    auto* route = reinterpret_cast<rtnl_route*>(obj);
    nl_addr* dst = rtnl_route_get_dst(route);
    if (rtnl_route_get_table(route) != RT_TABLE_MAIN || !dst) continue;
    int prefix = static_cast<int>(nl_addr_get_prefixlen(dst));
    if (prefix == 0 || nl_addr_get_len(dst) != 4) continue;
    const auto* bytes = static_cast<const uint8_t*>(nl_addr_get_binary_addr(dst));
    uint32_t value =
        uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3];
    Subnet subnet{Ipv4{value}, prefix};
    subnet.base.value &= subnet.mask();
    subnets.push_back(subnet);
  }
  return subnets;
}

Result<Bridge> ensure_bridge(const std::string& name, Ipv4 gateway, const Subnet& subnet, int mtu) {
  Socket sock = TRY(connect());
  auto existing = get_link(sock.get(), name);
  if (existing && (rtnl_link_get_flags(existing->get()) & IFF_UP) != 0)
    return Bridge{rtnl_link_get_ifindex(existing->get()), false};
  bool made = !existing;
  if (made) {
    Link bridge(rtnl_link_bridge_alloc());
    rtnl_link_set_name(bridge.get(), name.c_str());
    rtnl_link_set_mtu(bridge.get(), static_cast<unsigned>(mtu));
    int err = rtnl_link_add(sock.get(), bridge.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err < 0 && err != -NLE_EXIST)
      return std::unexpected(netlink_error(err, "create bridge " + name));
    existing = get_link(sock.get(), name);
  }
  Link bridge = TRY(std::move(existing));
  int index = rtnl_link_get_ifindex(bridge.get());
  TRY(add_address(sock.get(), index, gateway, subnet, name));
  TRY(set_up(sock.get(), bridge.get(), name));
  return Bridge{index, made};
}

Status delete_link(const std::string& name) {
  return delete_link(TRY(NetlinkSocket::open()), name);
}

Status delete_link(const NetlinkSocket& sock, const std::string& name) {
  Link link(rtnl_link_alloc());
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock.get(), link.get());
  if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND)
    return std::unexpected(netlink_error(err, "delete " + name));
  return ok();
}

Status attach_veth(const NetlinkSocket& host, const NetlinkSocket& inside, const VethPlan& plan) {
  TRY(make_veth(host.get(), plan));
  return configure_inside(inside.get(), plan);
}

Status attach_veth(const VethPlan& plan) {
  auto host = TRY(NetlinkSocket::open());
  TRY(make_veth(host.get(), plan));
  // setns() moves the calling thread only: a thread of its own enters the container's
  // namespace, and the socket it opens there stays there.
  Status result = ok();
  std::thread inside([&] {
    result = [&]() -> Status {
      if (::setns(plan.netns_fd, CLONE_NEWNET) != 0)
        return fail_errno(errno, "enter the container's network namespace");
      auto sock = TRY(NetlinkSocket::open());
      return configure_inside(sock.get(), plan);
    }();
  });
  inside.join();
  return result;
}

std::string port_of_bridge(const std::vector<std::string>& names, int bridge_index) {
  auto sock = connect();
  if (!sock) return "";
  for (const auto& name : names) {
    auto link = get_link(sock->get(), name);
    if (link && rtnl_link_get_master(link->get()) == bridge_index) return name;
  }
  return "";
}

Status set_loopback_up(const NetlinkSocket& inside) {
  Link lo = TRY(get_link(inside.get(), "lo"));
  return set_up(inside.get(), lo.get(), "lo");
}

}  // namespace quai::net
