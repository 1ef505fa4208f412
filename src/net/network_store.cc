#include "net/network_store.h"

#include <unistd.h>

#include <regex>

#include "base/strings.h"
#include "base/time.h"
#include "store/ids.h"
#include "store/json_file.h"
#include "store/lock.h"
#include "store/temp_area.h"
#include "sys/fs.h"

namespace quai::net {
namespace {

// Docker's pools, in its order: 172.17.0.0/16 … 172.30.0.0/16, then 192.168.0.0/16 in /20s.
std::vector<Subnet> default_pools() {
  std::vector<Subnet> pools;
  for (uint32_t second = 17; second <= 30; ++second)
    pools.push_back(Subnet{Ipv4{(172u << 24) | (second << 16)}, 16});
  for (uint32_t third = 0; third < 256; third += 16)
    pools.push_back(Subnet{Ipv4{(192u << 24) | (168u << 16) | (third << 8)}, 20});
  return pools;
}

bool overlaps_any(const Subnet& subnet, const std::vector<Subnet>& others) {
  return std::ranges::any_of(others, [&](const Subnet& o) { return subnet.overlaps(o); });
}

Status check_name(std::string_view name) {
  static const std::regex valid("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  if (!std::regex_match(name.begin(), name.end(), valid))
    return fail(Errc::InvalidArgument,
                "invalid network name \"{}\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  return ok();
}

}  // namespace

Result<NetworkStore> NetworkStore::open(const std::string& root) {
  TRY(sys::mkdir_p(root + "/networks", 0700));
  TRY(sys::mkdir_p(root + "/network-names", 0700));
  TRY(sys::mkdir_p(root + "/tmp", 0700));
  return NetworkStore(root);
}

std::string NetworkStore::network_dir(std::string_view id) const {
  return root_ + "/networks/" + std::string(id);
}

std::string NetworkStore::name_link(std::string_view name) const {
  return root_ + "/network-names/" + std::string(name);
}

Result<NetworkRecord> NetworkStore::read(std::string_view id) const {
  std::string path = network_dir(id) + "/network.json";
  return NetworkRecord::from_json(TRY(store::read_json_file(path)), path);
}

Result<Subnet> NetworkStore::choose_subnet(const NetworkSpec& spec,
                                           const std::vector<Subnet>& in_use) const {
  std::vector<Subnet> taken = in_use;
  for (const auto& network : TRY(list())) taken.push_back(network.subnet);
  if (!spec.subnet.empty()) {
    Subnet subnet = TRY(Subnet::parse(spec.subnet));
    if (overlaps_any(subnet, taken))
      return fail(Errc::AlreadyExists,
                  "invalid pool request: Pool overlaps with other one on "
                  "this address space");
    return subnet;
  }
  for (const Subnet& pool : default_pools())
    if (!overlaps_any(pool, taken)) return pool;
  return fail(Errc::Busy,
              "could not find an available, non-overlapping IPv4 address pool among the "
              "defaults to assign to the network");
}

Result<NetworkRecord> NetworkStore::make_record(const NetworkSpec& spec,
                                                const std::vector<Subnet>& in_use,
                                                int host_mtu) const {
  NetworkRecord r;
  r.id = store::random_id();
  r.name = spec.name;
  r.driver = spec.driver;
  r.created = rfc3339_now();
  r.internal = spec.internal;
  r.labels = spec.labels;
  r.options = spec.options;
  if (!r.options.contains(std::string(kMtuOption)))
    r.options[std::string(kMtuOption)] = std::to_string(host_mtu);
  r.subnet = TRY(choose_subnet(spec, in_use));
  if (r.subnet.prefix > 30)
    return fail(Errc::InvalidArgument, "subnet {}: too small for a gateway and a container",
                r.subnet.str());
  r.gateway = spec.gateway.empty() ? r.subnet.at(1) : TRY(Ipv4::parse(spec.gateway));
  if (!r.subnet.contains(r.gateway))
    return fail(Errc::InvalidArgument, "no matching subnet for gateway {}", r.gateway.str());
  if (!spec.ip_range.empty()) {
    r.ip_range = TRY(Subnet::parse(spec.ip_range));
    if (!r.subnet.contains(*r.ip_range))
      return fail(Errc::InvalidArgument, "ip-range {} is not within subnet {}", r.ip_range->str(),
                  r.subnet.str());
  }
  if (r.interface().size() > 15)
    return fail(Errc::InvalidArgument, "{} \"{}\": interface names are at most 15 bytes",
                kBridgeNameOption, r.interface());
  return r;
}

Result<NetworkRecord> NetworkStore::create(const NetworkSpec& spec,
                                           const std::vector<Subnet>& in_use, int host_mtu) {
  TRY(check_name(spec.name));
  if (spec.driver != "bridge")
    return fail(Errc::Unsupported, "plugin \"{}\" not found: only the bridge driver is built in",
                spec.driver);
  auto lock = TRY(store::FileLock::acquire(root_ + "/networks/lock", store::LockMode::Exclusive));
  NetworkRecord record = TRY(make_record(spec, in_use, host_mtu));
  if (::symlink(record.id.c_str(), name_link(spec.name).c_str()) != 0) {
    if (errno == EEXIST)
      return fail(Errc::AlreadyExists, "network with name {} already exists", spec.name);
    return fail_errno(errno, "claim network name {}", spec.name);
  }
  store::TempArea temp(root_ + "/tmp");
  auto made = [&]() -> Status {
    auto work = TRY(temp.make("network"));
    TRY(sys::mkdir_p(work.path() + "/ips", 0700));
    TRY(store::write_json_file(work.path() + "/network.json", record.to_json()));
    return work.commit_to(network_dir(record.id));
  }();
  if (!made) {
    ::unlink(name_link(spec.name).c_str());
    return std::unexpected(made.error());
  }
  return record;
}

Result<NetworkRecord> NetworkStore::default_bridge(const std::vector<Subnet>& in_use, int host_mtu,
                                                   const std::string& interface) {
  if (auto found = find(kDefaultBridge); found) return found;
  NetworkSpec spec;
  spec.name = kDefaultBridge;
  spec.options = {{"com.docker.network.bridge.default_bridge", "true"},
                  {"com.docker.network.bridge.enable_icc", "true"},
                  {"com.docker.network.bridge.enable_ip_masquerade", "true"},
                  {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"}};
  if (!interface.empty()) spec.options[std::string(kBridgeNameOption)] = interface;
  auto made = create(spec, in_use, host_mtu);
  if (!made && made.error().code() == Errc::AlreadyExists) return find(kDefaultBridge);
  return made;
}

Result<std::vector<NetworkRecord>> NetworkStore::list() const {
  std::vector<NetworkRecord> networks;
  for (const auto& id : TRY(sys::list_directory(root_ + "/networks"))) {
    if (id == "lock") continue;
    auto record = read(id);
    if (record) networks.push_back(std::move(*record));
  }
  return networks;
}

Result<NetworkRecord> NetworkStore::find(std::string_view name_or_id) const {
  if (!name_or_id.empty() && name_or_id.find('/') == std::string_view::npos) {
    std::string id = sys::read_link(name_link(name_or_id));
    if (!id.empty()) {
      if (auto record = read(id); record) return record;
    }
  }
  if (store::is_id_prefix(name_or_id)) {
    std::optional<NetworkRecord> match;
    for (auto& network : TRY(list())) {
      if (!network.id.starts_with(name_or_id)) continue;
      if (match)
        return fail(Errc::InvalidArgument, "network {} is ambiguous: several ids start with it",
                    name_or_id);
      match = std::move(network);
    }
    if (match) return *match;
  }
  return fail(Errc::NotFound, "network {} not found", name_or_id);
}

Status NetworkStore::remove(const NetworkRecord& network) {
  if (sys::read_link(name_link(network.name)) == network.id)
    ::unlink(name_link(network.name).c_str());
  store::TempArea temp(root_ + "/tmp");
  auto moved = temp.move_in(network_dir(network.id), "network");
  if (!moved && moved.error().code() != Errc::NotFound) return std::unexpected(moved.error());
  return ok();
}

namespace {

constexpr char kNamesSeparator = '\t';

std::string_view holder_in(std::string_view target) {
  return target.substr(0, target.find(kNamesSeparator));
}

}  // namespace

Result<Ipv4> NetworkStore::claim_address(const NetworkRecord& network, std::string_view holder,
                                         std::optional<Ipv4> wanted, const HolderGone& gone,
                                         const std::vector<std::string>& names) {
  std::string dir = network_dir(network.id) + "/ips";
  std::string target(holder);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i].empty() || names[i].find_first_of(" \t\n") != std::string::npos)
      return fail(Errc::InvalidArgument, "network {}: invalid name \"{}\"", network.name, names[i]);
    target += (i == 0 ? kNamesSeparator : ' ') + names[i];
  }
  auto lock = TRY(lock_claims(network));
  auto held = TRY(claims(network));
  auto claim = [&](Ipv4 address) -> Result<Ipv4> {
    std::string path = dir + "/" + address.str();
    ::unlink(path.c_str());  // a gone holder's claim, under the lock
    if (::symlink(target.c_str(), path.c_str()) != 0)
      return fail_errno(errno, "claim {} in network {}", address.str(), network.name);
    return address;
  };
  auto usable = [&](Ipv4 address) {
    auto it = held.find(address);
    return it == held.end() || gone(it->second);
  };
  for (const auto& [address, owner] : held)
    if (owner == holder && (!wanted || *wanted == address)) return address;
  if (wanted) {
    if (!network.subnet.contains(*wanted) || *wanted == network.subnet.base ||
        *wanted == network.subnet.at(network.subnet.size() - 1))
      return fail(Errc::InvalidArgument,
                  "Invalid address {}: It does not belong to any of this network's subnets",
                  wanted->str());
    if (*wanted == network.gateway || !usable(*wanted))
      return fail(Errc::AlreadyExists, "Address already in use");
    return claim(*wanted);
  }
  Subnet pool = network.pool();
  for (uint64_t offset = 0; offset < pool.size(); ++offset) {
    Ipv4 address = pool.at(offset);
    if (address == network.subnet.base || address == network.subnet.at(network.subnet.size() - 1) ||
        address == network.gateway || !usable(address))
      continue;
    return claim(address);
  }
  return fail(Errc::Busy, "no available IPv4 addresses on network {}", network.name);
}

Status NetworkStore::release_address(const NetworkRecord& network, Ipv4 address,
                                     std::string_view holder) {
  std::string dir = network_dir(network.id) + "/ips";
  auto lock = store::FileLock::lock_directory(dir, store::LockMode::Exclusive);
  if (!lock)
    return lock.error().code() == Errc::NotFound ? ok() : Status(std::unexpected(lock.error()));
  std::string path = dir + "/" + address.str();
  if (holder_in(sys::read_link(path)) == holder) ::unlink(path.c_str());
  return ok();
}

Result<store::FileLock> NetworkStore::lock_claims(const NetworkRecord& network) const {
  return TRY_CTX(
      store::FileLock::lock_directory(network_dir(network.id) + "/ips", store::LockMode::Exclusive),
      "network {}", network.name);
}

Result<std::map<Ipv4, std::string>> NetworkStore::claims(const NetworkRecord& network) const {
  std::map<Ipv4, std::string> held;
  for (auto& [address, claim] : TRY(claims_with_names(network)))
    held[address] = std::move(claim.holder);
  return held;
}

Result<std::map<Ipv4, NetworkStore::Claim>> NetworkStore::claims_with_names(
    const NetworkRecord& network) const {
  std::string dir = network_dir(network.id) + "/ips";
  std::map<Ipv4, Claim> held;
  for (const auto& name : TRY(sys::list_directory(dir))) {
    auto address = Ipv4::parse(name);
    if (!address) continue;
    std::string target = sys::read_link(dir + "/" + name);
    auto tab = target.find(kNamesSeparator);
    Claim claim{std::string(holder_in(target)), {}};
    if (tab != std::string::npos) {
      for (auto piece : split(std::string_view(target).substr(tab + 1), ' '))
        if (!piece.empty()) claim.names.emplace_back(piece);
    }
    held[*address] = std::move(claim);
  }
  return held;
}

}  // namespace quai::net
