#pragma once
// Networks on one host and the addresses handed out in them, under the engine's root:
//
//   networks/<id>/network.json   the record (network.h), written whole before it is visible
//   networks/<id>/ips/<a.b.c.d>  a claimed address: a symlink to "<holder>", or to
//                                "<holder>\t<name> <name>…" with the names the holder
//                                answers to there (for hosts files, without reading records)
//   network-names/<name>         a symlink to the id, claimed with symlink(): of two creates
//                                of one name, exactly one wins
//   networks/lock                held while a subnet is chosen, so two creates never pick
//                                the same one
//
// Claims are made under a lock on their ips/ directory; a claim whose holder is gone (a
// crash) is taken over, so allocation heals without a sweep.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/network.h"
#include "store/lock.h"

namespace quai::net {

struct NetworkSpec {
  std::string name;
  std::string driver = "bridge";
  std::string subnet;    // empty: the first of Docker's default pools that is free
  std::string gateway;   // empty: the subnet's first address
  std::string ip_range;  // empty: the whole subnet
  bool internal = false;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> options;
};

/// Whether the holder of a claim (a container id) is gone, so that its address is free.
using HolderGone = std::function<bool(std::string_view holder)>;

class NetworkStore {
 public:
  static Result<NetworkStore> open(const std::string& root);

  /// Records a network. The subnet must not overlap another network's nor `in_use` (the
  /// host's own routes); without one, Docker's pools are tried in order (172.17–172.30/16,
  /// then 192.168.0.0/16 in /20s). `host_mtu` is the MTU unless the options set one.
  Result<NetworkRecord> create(const NetworkSpec& spec, const std::vector<Subnet>& in_use,
                               int host_mtu);
  /// Docker's default network, "bridge", made on first use; on `interface` when given
  /// (quai0 for the machine's own store), else on a qbr- name like any other.
  Result<NetworkRecord> default_bridge(const std::vector<Subnet>& in_use, int host_mtu,
                                       const std::string& interface);
  Result<std::vector<NetworkRecord>> list() const;
  /// By name, full id or unique id prefix: NotFound "network X not found".
  Result<NetworkRecord> find(std::string_view name_or_id) const;
  /// Forgets the network and its claims (the caller has checked that nothing uses it).
  Status remove(const NetworkRecord& network);

  /// An address for `holder`, known there by `names`: `wanted`, else the lowest free one of
  /// the network's range. The holder's own earlier claim is kept. "Address already in use"
  /// when `wanted` is held.
  Result<Ipv4> claim_address(const NetworkRecord& network, std::string_view holder,
                             std::optional<Ipv4> wanted, const HolderGone& gone,
                             const std::vector<std::string>& names = {});
  /// Gives the address back if `holder` still holds it.
  Status release_address(const NetworkRecord& network, Ipv4 address, std::string_view holder);
  /// Holds the network's claims still (claim_address and release_address wait).
  Result<store::FileLock> lock_claims(const NetworkRecord& network) const;
  /// Address → holder.
  Result<std::map<Ipv4, std::string>> claims(const NetworkRecord& network) const;
  struct Claim {
    std::string holder;
    std::vector<std::string> names;
  };
  /// Address → holder and the names it gave.
  Result<std::map<Ipv4, Claim>> claims_with_names(const NetworkRecord& network) const;

 private:
  explicit NetworkStore(std::string root) : root_(std::move(root)) {}
  std::string network_dir(std::string_view id) const;
  std::string name_link(std::string_view name) const;
  Result<NetworkRecord> read(std::string_view id) const;
  Result<Subnet> choose_subnet(const NetworkSpec& spec, const std::vector<Subnet>& in_use) const;
  Result<NetworkRecord> make_record(const NetworkSpec& spec, const std::vector<Subnet>& in_use,
                                    int host_mtu) const;

  std::string root_;
};

}  // namespace quai::net
