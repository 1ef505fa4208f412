#include "engine/internal/networking.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <charconv>
#include <future>

#include "base/strings.h"
#include "net/link.h"
#include "net/network_store.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/process.h"

namespace quai::engine::internal {
namespace {

std::string holder_container(std::string_view holder) {
  return std::string(holder.substr(0, holder.find(':')));
}

// "<container id>:<monitor pid>:<monitor start time>": the claim is free once that
// monitor is gone, whatever killed it.
std::string this_monitor(const ContainerRecord& record) {
  pid_t pid = ::getpid();
  return fmt::format("{}:{}:{}", record.id, pid, sys::process_start_time(pid).value_or(0));
}

Result<net::NetworkStore> open_networks(Engine& engine) {
  return net::NetworkStore::open(engine.root());
}

// The NAME or id of --network container:NAME, empty for every other mode.
std::string_view shared_with(const ContainerRecord& record) {
  constexpr std::string_view kPrefix = "container:";
  std::string_view mode = record.network_mode;
  return mode.starts_with(kPrefix) ? mode.substr(kPrefix.size()) : std::string_view();
}

Result<net::NetworkRecord> find_network(Engine& engine, net::NetworkStore& networks,
                                        const std::string& name) {
  if (name != net::kDefaultBridge && name != "default") return networks.find(name);
  // Made once; on later starts the record is all there is to read (no netlink dumps).
  if (auto made = networks.find(net::kDefaultBridge); made) return made;
  // quai0 is the machine's: a store elsewhere (a test's) gets a bridge of its own.
  std::string interface = engine.root() == EngineOptions{}.root ? "quai0" : "";
  return networks.default_bridge(TRY(net::host_subnets()), net::host_mtu(), interface);
}

// What a container's live monitor holds: its network and address there.
std::vector<Endpoint> held_endpoints(Engine& engine, net::NetworkStore& networks,
                                     const ContainerRecord& target) {
  std::vector<Endpoint> held;
  if (!joins_networks(target)) return held;
  auto network = find_network(engine, networks, target.network_mode);
  if (!network) return held;
  auto claims = networks.claims(*network);
  if (!claims) return held;
  for (const auto& [address, holder] : *claims) {
    if (!holder.starts_with(target.id + ":") || monitor_gone(holder)) continue;
    held.push_back({*network, address, holder});
  }
  return held;
}

}  // namespace

net::Firewall firewall(Engine& engine) {
  bool machine_store = engine.root() == EngineOptions{}.root;
  return net::Firewall(net::Firewall::table_for(engine.root(), machine_store));
}

namespace {

net::BridgeRules rules_of(const net::NetworkRecord& network) {
  return {network.interface(), network.internal, network.masquerade()};
}

}  // namespace

Result<int> ensure_network_bridge(Engine& engine, const net::NetworkRecord& network) {
  net::Bridge bridge = TRY_CTX(
      net::ensure_bridge(network.interface(), network.gateway, network.subnet, network.mtu()),
      "network {}", network.name);
  if (!bridge.made) return bridge.index;
  TRY_CTX(firewall(engine).add_bridge(rules_of(network)), "network {}", network.name);
  // Outbound NAT needs the replies forwarded from the host's uplink too. The machine's own
  // engine turns forwarding on, as Docker's daemon does; a test's store never changes a
  // setting of the whole host (docs/DECISIONS.md).
  if (engine.root() == EngineOptions{}.root && network.masquerade() && !network.internal)
    TRY_CTX(sys::write_existing("/proc/sys/net/ipv4/ip_forward", "1"), "network {}", network.name);
  return bridge.index;
}

Status remove_network_bridge(Engine& engine, const net::NetworkRecord& network) {
  TRY_CTX(firewall(engine).remove_bridge(rules_of(network)), "network {}", network.name);
  TRY_CTX(net::delete_link(network.interface()), "network {}", network.name);
  return ok();
}

bool monitor_gone(std::string_view holder) {
  auto fields = split(holder, ':');
  if (fields.size() != 3) return true;
  pid_t pid = 0;
  uint64_t start = 0;
  std::from_chars(fields[1].data(), fields[1].data() + fields[1].size(), pid);
  std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), start);
  return !sys::is_same_process_alive(pid, start);
}

namespace {

// The host's end of the container's veth on its index-th network (15 bytes at most).
std::string veth_name(std::string_view container, size_t index) {
  return fmt::format("qv{}{}", container.substr(0, 12), index);
}

// A claim is free once its monitor is gone, unless the container lives on without it (a
// killed monitor leaves the init running): its veth, which goes only with its namespace,
// says so.
bool address_free(std::string_view holder) {
  if (!monitor_gone(holder)) return false;
  std::string container = holder_container(holder);
  for (size_t index = 0; index < 4; ++index) {
    if (::if_nametoindex(veth_name(container, index).c_str()) != 0) return false;
  }
  return true;
}

}  // namespace

bool joins_networks(const ContainerRecord& record) {
  const std::string& mode = record.network_mode;
  return mode != "none" && mode != "host" && shared_with(record).empty();
}

Result<net::NetworkRecord> find_network(Engine& engine, const std::string& name) {
  auto networks = TRY(open_networks(engine));
  return find_network(engine, networks, name);
}

Status check_network_request(Engine& engine, ContainerRecord& record) {
  if (auto shared = shared_with(record); !shared.empty()) {
    if (!record.port_bindings.empty() || record.publish_all)
      return fail(Errc::InvalidArgument,
                  "conflicting options: port publishing and the container type network mode");
    // Docker records the target's full id: a rename of it changes nothing.
    auto target = TRY(engine.find_container(shared));
    record.network_mode = "container:" + target.record.id;
  }
  for (const auto& link : record.links) TRY(engine.find_container(link.substr(0, link.find(':'))));
  if (!joins_networks(record)) {
    if (!record.ipv4_address.empty())
      return fail(Errc::InvalidArgument,
                  "user specified IP address is supported on user defined networks only");
    return ok();
  }
  auto network = TRY(find_network(engine, record.network_mode));
  if (record.ipv4_address.empty()) return ok();
  if (network.is_default_bridge())
    return fail(Errc::InvalidArgument,
                "user specified IP address is supported on user defined networks only");
  net::Ipv4 wanted = TRY_CTX(net::Ipv4::parse(record.ipv4_address), "--ip");
  if (!network.subnet.contains(wanted))
    return fail(Errc::InvalidArgument,
                "Invalid address {}: It does not belong to any of this network's subnets",
                wanted.str());
  return ok();
}

Result<std::string> shared_network_namespace(Engine& engine, const ContainerRecord& record) {
  std::string_view shared = shared_with(record);
  if (shared.empty()) return std::string();
  auto target = TRY(engine.find_container(shared));
  if (target.state.status != RunStatus::Running ||
      !sys::is_same_process_alive(target.state.pid, target.state.pid_start_time))
    return fail(Errc::InvalidArgument, "cannot join network of a non running container: {}",
                target.record.id);
  return fmt::format("/proc/{}/ns/net", target.state.pid);
}

std::vector<Endpoint> held_endpoints(Engine& engine, const ContainerRecord& record) {
  auto networks = open_networks(engine);
  if (!networks) return {};
  return held_endpoints(engine, *networks, record);
}

Result<std::vector<Endpoint>> claim_endpoints(Engine& engine, const ContainerRecord& record) {
  std::vector<Endpoint> endpoints;
  if (!joins_networks(record)) return endpoints;
  auto networks = TRY(open_networks(engine));
  net::NetworkRecord network = TRY(find_network(engine, networks, record.network_mode));
  std::optional<net::Ipv4> wanted;
  if (!record.ipv4_address.empty()) wanted = TRY(net::Ipv4::parse(record.ipv4_address));
  std::string holder = this_monitor(record);
  net::Ipv4 address = TRY_CTX(networks.claim_address(network, holder, wanted, address_free),
                              "network {}", network.name);
  endpoints.push_back({std::move(network), address, std::move(holder)});
  return endpoints;
}

namespace {

net::VethPlan veth_plan(const ContainerRecord& record, const Endpoint& endpoint, size_t index,
                        int bridge_index) {
  const net::NetworkRecord& network = endpoint.network;
  net::VethPlan plan;
  plan.bridge_index = bridge_index;
  plan.host_name = veth_name(record.id, index);
  plan.inner_name = fmt::format("eth{}", index);
  plan.address = endpoint.address;
  plan.subnet = network.subnet;
  plan.gateway = network.gateway;
  plan.default_route = index == 0 && !network.internal;
  plan.mtu = network.mtu();
  plan.mac = net::mac_for(endpoint.address);
  return plan;
}

// Runs in the setup's thread, which is in the container's new namespace; `host` was
// opened before it left the host's.
Status attach_all(const net::NetlinkSocket& host, int netns,
                  std::vector<std::pair<net::VethPlan, std::string>> plans) {
  auto inside = TRY(net::NetlinkSocket::open());
  TRY_CTX(net::set_loopback_up(inside), "container network namespace");
  for (auto& [plan, network] : plans) {
    plan.netns_fd = netns;
    auto attached = net::attach_veth(host, inside, plan);
    if (!attached && attached.error().code() == Errc::AlreadyExists) {
      // The last run's veth: the kernel deletes it with that namespace, but later, from a
      // work queue. A restart can come first.
      TRY_CTX(net::delete_link(host, plan.host_name), "network {}", network);
      attached = net::attach_veth(host, inside, plan);
    }
    TRY_CTX(std::move(attached), "network {}", network);
  }
  return ok();
}

}  // namespace

struct NamespaceSetup::Shared {
  std::promise<Status> made;  // the namespace is behind `netns`
  sys::UniqueFd netns;        // /dev/null until then
  Status attached = ok();
};

namespace {

// From the host's namespace: the bridges this boot has not made yet, and the veths' plans.
Result<std::vector<std::pair<net::VethPlan, std::string>>> plan_veths(
    Engine& engine, const ContainerRecord& record, const std::vector<Endpoint>& endpoints) {
  std::vector<std::pair<net::VethPlan, std::string>> plans;
  for (size_t i = 0; i < endpoints.size(); ++i) {
    int bridge = TRY(ensure_network_bridge(engine, endpoints[i].network));
    plans.emplace_back(veth_plan(record, endpoints[i], i, bridge), endpoints[i].network.name);
  }
  return plans;
}

}  // namespace

Result<std::unique_ptr<NamespaceSetup>> NamespaceSetup::start(
    Engine& engine, const ContainerRecord& record, const std::vector<Endpoint>& endpoints) {
  auto setup = std::make_unique<NamespaceSetup>();
  setup->shared_ = std::make_shared<Shared>();
  setup->shared_->netns = sys::UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!setup->shared_->netns) return fail_errno(errno, "open /dev/null");
  setup->made_ = setup->shared_->made.get_future();
  setup->thread_ = std::thread([&engine, record, endpoints, shared = setup->shared_] {
    auto plans = plan_veths(engine, record, endpoints);
    if (!plans) return shared->made.set_value(std::unexpected(plans.error()));
    auto host = net::NetlinkSocket::open();
    if (!host) return shared->made.set_value(std::unexpected(host.error()));
    // The socket above stays in the host's namespace.
    if (::unshare(CLONE_NEWNET) != 0)
      return shared->made.set_value(fail_errno(errno, "make a network namespace"));
    int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::dup3(fd, shared->netns.get(), O_CLOEXEC) < 0)
      return shared->made.set_value(fail_errno(errno, "open the network namespace"));
    ::close(fd);
    shared->made.set_value(ok());
    shared->attached = attach_all(*host, shared->netns.get(), std::move(*plans));
  });
  return setup;
}

NamespaceSetup::~NamespaceSetup() {
  if (thread_.joinable()) thread_.join();
}

std::string NamespaceSetup::path() const {
  return fmt::format("/proc/{}/fd/{}", ::getpid(), shared_->netns.get());
}

Status NamespaceSetup::ready() {
  if (made_.valid()) namespace_made_ = made_.get();
  return namespace_made_;
}

Status NamespaceSetup::wait() {
  TRY(ready());
  if (thread_.joinable()) thread_.join();
  return shared_->attached;
}

namespace {

constexpr std::string_view kDefaultHosts =
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

// A running container on a network, its record read once per update.
struct Member {
  net::Ipv4 address;
  ContainerRecord record;
  net::Ipv4 gateway;  // of the network it is on
};

// Who is on a user-defined network now; nobody, for the default bridge (there, only --link
// names resolve, as in Docker).
std::vector<Member> members(Engine& engine, net::NetworkStore& networks,
                            const net::NetworkRecord& network) {
  std::vector<Member> found;
  if (network.is_default_bridge()) return found;
  auto claims = networks.claims(network);
  if (!claims) return found;
  for (const auto& [address, holder] : *claims) {
    if (monitor_gone(holder)) continue;
    auto record = engine.read_record(holder_container(holder));
    if (record) found.push_back({address, std::move(*record), network.gateway});
  }
  return found;
}

// The address a running container holds on the network it joined, if any.
std::optional<net::Ipv4> address_of(Engine& engine, net::NetworkStore& networks,
                                    const ContainerRecord& target) {
  auto held = held_endpoints(engine, networks, target);
  if (held.empty()) return std::nullopt;
  return held.front().address;
}

// --link NAME:ALIAS lines, as Docker writes them: "IP\tALIAS ID NAME".
Result<std::string> link_lines(Engine& engine, net::NetworkStore& networks,
                               const ContainerRecord& self) {
  std::string lines;
  for (const auto& link : self.links) {
    std::string name = link.substr(0, link.find(':'));
    std::string alias =
        link.find(':') == std::string::npos ? name : link.substr(link.find(':') + 1);
    auto target = TRY(engine.find_container(name));
    auto address = target.state.status == RunStatus::Running
                       ? address_of(engine, networks, target.record)
                       : std::nullopt;
    if (!address)
      return fail(Errc::InvalidArgument, "Cannot link to a non running container: /{} AS /{}/{}",
                  target.record.name, self.name, alias);
    lines += fmt::format("{}\t{} {} {}\n", address->str(), alias, target.record.id.substr(0, 12),
                         target.record.name);
  }
  return lines;
}

// --add-host lines come after Docker's defaults; host-gateway is the gateway of the first
// network (the host's address there).
std::string extra_host_lines(const ContainerRecord& self, std::optional<net::Ipv4> gateway) {
  std::string lines;
  for (const auto& entry : self.extra_hosts) {
    auto colon = entry.find(':');
    std::string address = entry.substr(colon + 1);
    if (address == "host-gateway") address = gateway ? gateway->str() : "127.0.0.1";
    lines += address + "\t" + entry.substr(0, colon) + "\n";
  }
  return lines;
}

std::string hosts_text(const ContainerRecord& self, const std::vector<net::Ipv4>& own,
                       const std::vector<Member>& others,
                       std::optional<net::Ipv4> gateway = std::nullopt) {
  std::string hosts = std::string(kDefaultHosts) + extra_host_lines(self, gateway);
  if (own.empty()) return hosts + "127.0.1.1\t" + self.hostname + "\n";
  for (const auto& address : own) hosts += address.str() + "\t" + self.hostname + "\n";
  for (const auto& member : others) {
    if (member.record.id == self.id) continue;
    hosts += member.address.str() + "\t" + member.record.name;
    for (const auto& alias : member.record.network_aliases) hosts += " " + alias;
    hosts += "\n";
  }
  return hosts;
}

}  // namespace

Status write_hosts_files(Engine& engine, const ContainerRecord& record,
                         const std::vector<Endpoint>& endpoints, bool own) {
  std::string own_file = engine.container_dir(record.id) + "/hosts";
  // --network none or host without links (most starts): nobody else to read or write.
  if (endpoints.empty() && record.links.empty())
    return own ? sys::write_file(own_file, hosts_text(record, {}, {}), 0644) : ok();
  auto networks = TRY(open_networks(engine));
  std::vector<store::FileLock> locks;
  std::vector<Member> everyone;
  std::vector<net::Ipv4> own_addresses;
  for (const auto& endpoint : endpoints) {
    locks.push_back(TRY(networks.lock_claims(endpoint.network)));
    auto on_network = members(engine, networks, endpoint.network);
    everyone.insert(everyone.end(), on_network.begin(), on_network.end());
    own_addresses.push_back(endpoint.address);
  }
  // Written in place: each file is bind-mounted on a container's /etc/hosts.
  if (own)
    TRY(sys::write_file(
        own_file,
        hosts_text(
            record, own_addresses, everyone,
            endpoints.empty() ? std::nullopt : std::optional(endpoints.front().network.gateway)) +
            TRY(link_lines(engine, networks, record)),
        0644));
  for (const auto& member : everyone) {
    if (member.record.id == record.id) continue;
    (void)sys::write_file(engine.container_dir(member.record.id) + "/hosts",
                          hosts_text(member.record, {member.address}, everyone, member.gateway),
                          0644);
  }
  return ok();
}

void release_endpoints(Engine& engine, const std::vector<Endpoint>& endpoints) {
  auto networks = open_networks(engine);
  if (!networks) return;
  for (const auto& endpoint : endpoints)
    (void)networks->release_address(endpoint.network, endpoint.address, endpoint.holder);
}

void release_dead_claims(Engine& engine, const ContainerRecord& record) {
  if (!joins_networks(record)) return;
  auto networks = open_networks(engine);
  if (!networks) return;
  auto network = find_network(engine, *networks, record.network_mode);
  if (!network) return;
  auto claims = networks->claims(*network);
  if (!claims) return;
  for (const auto& [address, holder] : *claims) {
    if (holder_container(holder) == record.id && monitor_gone(holder))
      (void)networks->release_address(*network, address, holder);
  }
}

}  // namespace quai::engine::internal
