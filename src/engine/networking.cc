#include "engine/internal/networking.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <functional>
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
std::string holder_of(std::string_view container, pid_t monitor, uint64_t start_time) {
  return fmt::format("{}:{}:{}", container, monitor, start_time);
}

std::string this_monitor(const ContainerRecord& record) {
  return holder_of(record.id, ::getpid(), sys::own_start_time());
}

// The machine's own engine (/var/lib/quai): quai0, the table "quai", the host's forwarding.
// Any other store (a test's) keeps to objects of its own.
bool machine_store(const Engine& engine) { return engine.root() == EngineOptions{}.root; }

bool same_network(const NetworkAttachment& attachment, const net::NetworkRecord& network) {
  return attachment.network == network.name || network.id.starts_with(attachment.network);
}

// Whether NetworkMode names the network, joined or left (left_network_mode).
bool is_network_mode(const ContainerRecord& record, const net::NetworkRecord& network) {
  return same_network({record.network_mode, "", {}}, network);
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
  std::string interface = machine_store(engine) ? "quai0" : "";
  return networks.default_bridge(TRY(net::host_subnets()), net::host_mtu(), interface);
}

// What a container's live monitor holds: its network and address there.
std::vector<Endpoint> held_endpoints(Engine& engine, net::NetworkStore& networks,
                                     const ContainerRecord& target) {
  std::vector<Endpoint> held;
  for (const auto& attachment : attachments(target)) {
    auto network = find_network(engine, networks, attachment.network);
    if (!network) continue;
    auto claims = networks.claims_with_names(*network);
    if (!claims) continue;
    for (auto& [address, claim] : *claims) {
      if (holder_container(claim.holder) != target.id || monitor_gone(claim.holder)) continue;
      held.push_back({*network, address, claim.holder, std::move(claim.names)});
    }
  }
  return held;
}

}  // namespace

net::Firewall firewall(Engine& engine) {
  return net::Firewall(net::Firewall::table_for(engine.root(), machine_store(engine)));
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
  Status ruled = firewall(engine).add_bridge(rules_of(network));
  // Outbound NAT needs the replies forwarded from the host's uplink too. The machine's own
  // engine turns forwarding on, as Docker's daemon does; a test's store never changes a
  // setting of the whole host (docs/DECISIONS.md).
  if (ruled && machine_store(engine) && network.masquerade() && !network.internal)
    ruled = sys::write_existing("/proc/sys/net/ipv4/ip_forward", "1");
  if (!ruled) {
    // Without its rules the bridge must not stay: the next start would find it and skip them.
    (void)net::delete_link(network.interface());
    return fail(ruled.error().add_context(fmt::format("network {}", network.name)));
  }
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

constexpr size_t kMostNetworks = 8;  // per container: veths qv<id>0 to qv<id>7

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
  for (size_t index = 0; index < kMostNetworks; ++index) {
    if (::if_nametoindex(veth_name(container, index).c_str()) != 0) return false;
  }
  return true;
}

}  // namespace

bool joins_networks(const ContainerRecord& record) {
  const std::string& mode = record.network_mode;
  return mode != "none" && mode != "host" && shared_with(record).empty();
}

std::vector<NetworkAttachment> attachments(const ContainerRecord& record) {
  std::vector<NetworkAttachment> all;
  if (!joins_networks(record)) return all;
  if (!record.left_network_mode)
    all.push_back({record.network_mode, record.ipv4_address, record.network_aliases});
  all.insert(all.end(), record.more_networks.begin(), record.more_networks.end());
  return all;
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
  auto wanted = attachments(record);
  if (wanted.size() > kMostNetworks)
    return fail(Errc::InvalidArgument, "a container joins at most {} networks", kMostNetworks);
  auto networks = TRY(open_networks(engine));
  std::vector<std::string> ids;
  for (const auto& attachment : wanted) {
    auto network = TRY(find_network(engine, networks, attachment.network));
    if (std::ranges::find(ids, network.id) != ids.end())
      return fail(Errc::InvalidArgument, "network {} is specified multiple times", network.name);
    ids.push_back(network.id);
    TRY(check_address(network, attachment.ipv4_address));
  }
  return ok();
}

Status check_address(const net::NetworkRecord& network, const std::string& address) {
  if (address.empty()) return ok();
  if (network.is_default_bridge())
    return fail(Errc::InvalidArgument,
                "user specified IP address is supported on user defined networks only");
  net::Ipv4 wanted = TRY_CTX(net::Ipv4::parse(address), "--ip");
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
  if (!joins_networks(record)) return {};
  auto networks = open_networks(engine);
  if (!networks) return {};
  return held_endpoints(engine, *networks, record);
}

Result<Endpoint> claim_endpoint(Engine& engine, net::NetworkStore& networks,
                                const ContainerRecord& record, const NetworkAttachment& attachment,
                                const std::string& holder) {
  net::NetworkRecord network = TRY(find_network(engine, networks, attachment.network));
  std::optional<net::Ipv4> wanted;
  if (!attachment.ipv4_address.empty())
    wanted = TRY_CTX(net::Ipv4::parse(attachment.ipv4_address), "network {}", network.name);
  // The names the others' hosts files give it; none on the default bridge (links only).
  std::vector<std::string> names;
  if (!network.is_default_bridge()) {
    names.push_back(record.name);
    names.insert(names.end(), attachment.aliases.begin(), attachment.aliases.end());
  }
  net::Ipv4 address = TRY_CTX(networks.claim_address(network, holder, wanted, address_free, names),
                              "network {}", network.name);
  return Endpoint{std::move(network), address, holder, std::move(names)};
}

Result<std::vector<Endpoint>> claim_endpoints(Engine& engine, const ContainerRecord& record) {
  std::vector<Endpoint> endpoints;
  auto wanted = attachments(record);
  if (wanted.empty()) return endpoints;
  auto networks = TRY(open_networks(engine));
  std::string holder = this_monitor(record);
  for (const auto& attachment : wanted)
    endpoints.push_back(TRY(claim_endpoint(engine, networks, record, attachment, holder)));
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
    sys::UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!fd || ::dup3(fd.get(), shared->netns.get(), O_CLOEXEC) < 0)
      return shared->made.set_value(fail_errno(errno, "open the network namespace"));
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

// A running container on a network, as its claim there says.
struct Member {
  net::Ipv4 address;
  std::string container;           // its id
  std::vector<std::string> names;  // its name and --network-alias there
};

// The names a claim made before they were kept in claims gives: the container's record's.
std::vector<std::string> names_from_record(Engine& engine, std::string_view container,
                                           const net::NetworkRecord& network) {
  auto record = engine.read_record(container);
  if (!record) return {};
  std::vector<std::string> names{record->name};
  for (const auto& attachment : attachments(*record)) {
    if (same_network(attachment, network))
      names.insert(names.end(), attachment.aliases.begin(), attachment.aliases.end());
  }
  return names;
}

// Who is on a user-defined network now, by the names their claims give; nobody on the
// default bridge, where only --link names resolve (as in Docker).
std::vector<Member> members(Engine& engine, net::NetworkStore& networks,
                            const net::NetworkRecord& network) {
  std::vector<Member> found;
  if (network.is_default_bridge()) return found;
  auto claims = networks.claims_with_names(network);
  if (!claims) return found;
  for (auto& [address, claim] : *claims) {
    if (monitor_gone(claim.holder)) continue;
    std::string container = holder_container(claim.holder);
    if (claim.names.empty()) claim.names = names_from_record(engine, container, network);
    found.push_back({address, std::move(container), std::move(claim.names)});
  }
  return found;
}

// One line of a hosts file: "ADDRESS\tNAME ALIAS…".
std::string host_line(net::Ipv4 address, const std::vector<std::string>& names) {
  return address.str() + "\t" + join(names, " ") + "\n";
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
    if (member.container != self.id) hosts += host_line(member.address, member.names);
  }
  return hosts;
}

std::string hosts_file(Engine& engine, std::string_view container) {
  return engine.container_dir(container) + "/hosts";
}

// The joiner's line, added to a member's file (in place: it is bind-mounted on the member's
// /etc/hosts), or taken out of it again.
void add_line(const std::string& file, const std::string& line) {
  sys::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (fd) (void)sys::write_all(fd.get(), line);
}

void remove_line(const std::string& file, const std::string& line) {
  auto text = sys::read_file(file);
  if (!text) return;
  std::string kept;
  for (size_t at = 0; at < text->size();) {
    size_t end = text->find('\n', at);
    end = end == std::string::npos ? text->size() : end + 1;
    std::string_view current(text->data() + at, end - at);
    if (current != line) kept += current;
    at = end;
  }
  if (kept.size() != text->size()) (void)sys::write_file(file, kept, 0644);
}

}  // namespace

Status write_hosts_files(Engine& engine, const ContainerRecord& record,
                         const std::vector<Endpoint>& endpoints, HostsUpdate update) {
  bool own = update == HostsUpdate::Own || update == HostsUpdate::OwnAndAnnounce;
  // --network none or host without links (most starts): nobody else to read or write.
  if (endpoints.empty() && (record.links.empty() || !own))
    return own ? sys::write_file(hosts_file(engine, record.id), hosts_text(record, {}, {}), 0644)
               : ok();
  auto networks = TRY(open_networks(engine));
  // Before any lock: finding a linked container may notice its monitor dead and give its
  // claims back, which takes a network's lock.
  std::string links = own ? TRY(link_lines(engine, networks, record)) : "";
  // Each network's lock once, in the order of their ids: two containers joining the same
  // networks in different orders never wait on each other.
  std::vector<const Endpoint*> by_network;
  for (const auto& endpoint : endpoints) by_network.push_back(&endpoint);
  std::ranges::sort(by_network, {}, [](const Endpoint* e) { return e->network.id; });
  std::vector<store::FileLock> locks;
  std::vector<Member> everyone;
  for (size_t i = 0; i < by_network.size(); ++i) {
    const Endpoint& endpoint = *by_network[i];
    if (i == 0 || by_network[i - 1]->network.id != endpoint.network.id)
      locks.push_back(TRY(networks.lock_claims(endpoint.network)));
    auto on_network = members(engine, networks, endpoint.network);
    // The others learn of it, or forget it, by one line: their files stay theirs otherwise.
    bool edits = update != HostsUpdate::Own && !endpoint.names.empty();
    std::string line = edits ? host_line(endpoint.address, endpoint.names) : "";
    for (const auto& member : on_network) {
      if (!edits || member.container == record.id) continue;
      if (update == HostsUpdate::Withdraw)
        remove_line(hosts_file(engine, member.container), line);
      else
        add_line(hosts_file(engine, member.container), line);
    }
    everyone.insert(everyone.end(), on_network.begin(), on_network.end());
  }
  if (!own) return ok();
  std::vector<net::Ipv4> own_addresses;
  for (const auto& endpoint : endpoints) own_addresses.push_back(endpoint.address);
  std::optional<net::Ipv4> gateway;
  if (!endpoints.empty()) gateway = endpoints.front().network.gateway;
  return sys::write_file(hosts_file(engine, record.id),
                         hosts_text(record, own_addresses, everyone, gateway) + links, 0644);
}

namespace {

using HolderPick = std::function<bool(std::string_view holder)>;

// The container's claims on one network that `release` picks, given back; those.
std::vector<Endpoint> release_on(net::NetworkStore& networks, const net::NetworkRecord& network,
                                 std::string_view container, const HolderPick& release) {
  std::vector<Endpoint> released;
  auto claims = networks.claims_with_names(network);
  if (!claims) return released;
  for (auto& [address, claim] : *claims) {
    if (holder_container(claim.holder) != container || !release(claim.holder)) continue;
    (void)networks.release_address(network, address, claim.holder);
    released.push_back({network, address, claim.holder, std::move(claim.names)});
  }
  return released;
}

// The same on every network the container joins.
std::vector<Endpoint> release_claims(Engine& engine, const ContainerRecord& record,
                                     const HolderPick& release) {
  std::vector<Endpoint> released;
  auto wanted = attachments(record);
  if (wanted.empty()) return released;  // none, host, container:ID: no store to open
  auto networks = open_networks(engine);
  if (!networks) return released;
  for (const auto& attachment : wanted) {
    auto network = find_network(engine, *networks, attachment.network);
    if (!network) continue;
    auto on_network = release_on(*networks, *network, record.id, release);
    released.insert(released.end(), on_network.begin(), on_network.end());
  }
  return released;
}

}  // namespace

void release_dead_claims(Engine& engine, const ContainerRecord& record) {
  auto released = release_claims(engine, record, monitor_gone);
  // A killed monitor took no name out of the others' hosts files.
  (void)write_hosts_files(engine, record, released, HostsUpdate::Withdraw);
}

std::vector<Endpoint> release_endpoints(Engine& engine, const std::vector<Endpoint>& endpoints) {
  if (endpoints.empty()) return {};
  auto networks = open_networks(engine);
  if (!networks) return {};
  for (const auto& endpoint : endpoints)
    (void)networks->release_address(endpoint.network, endpoint.address, endpoint.holder);
  return endpoints;
}

std::vector<Endpoint> release_own_claims(Engine& engine, const ContainerRecord& record) {
  std::string self = this_monitor(record);
  return release_claims(engine, record, [&](std::string_view holder) { return holder == self; });
}

namespace {

// Running or paused: the init and its network namespace are there.
bool has_namespace(const ContainerRunState& state) {
  return state.status == RunStatus::Running || state.status == RunStatus::Paused;
}

// The container's veth on the network's bridge, by its host end's master.
std::string veth_on(const ContainerRecord& record, int bridge_index) {
  std::vector<std::string> names;
  for (size_t index = 0; index < kMostNetworks; ++index)
    names.push_back(veth_name(record.id, index));
  return net::port_of_bridge(names, bridge_index);
}

// A running container's network namespace, opened after checking it is the recorded init.
Result<sys::UniqueFd> open_network_namespace(const ContainerView& view) {
  if (!sys::is_same_process_alive(view.state.pid, view.state.pid_start_time))
    return fail(Errc::InvalidArgument, "container {} is not running", view.record.name);
  std::string path = fmt::format("/proc/{}/ns/net", view.state.pid);
  sys::UniqueFd netns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) return fail_errno(errno, "open \"{}\"", path);
  return netns;
}

// Into the running container: the address claimed for its monitor (so that it goes with
// the monitor), a veth on the lowest free index, and the hosts files.
Status join_running(Engine& engine, const ContainerView& view, const ContainerRecord& record,
                    const NetworkAttachment& attachment) {
  auto networks = TRY(open_networks(engine));
  std::string holder = holder_of(record.id, view.state.monitor_pid, view.state.monitor_start_time);
  Endpoint endpoint = TRY(claim_endpoint(engine, networks, record, attachment, holder));
  auto joined = [&]() -> Status {
    auto netns = TRY(open_network_namespace(view));
    int bridge = TRY(ensure_network_bridge(engine, endpoint.network));
    size_t index = 0;
    while (index < kMostNetworks && ::if_nametoindex(veth_name(record.id, index).c_str()) != 0)
      ++index;
    if (index == kMostNetworks)
      return fail(Errc::Busy, "container {} is on {} networks already", record.name, index);
    net::VethPlan plan = veth_plan(record, endpoint, index, bridge);
    plan.netns_fd = netns.get();
    TRY_CTX(net::attach_veth(plan), "network {}", endpoint.network.name);
    return ok();
  }();
  if (!joined) {
    (void)networks.release_address(endpoint.network, endpoint.address, holder);
    return joined;
  }
  // Joined: a hosts file that cannot be written (a --link to a container gone meanwhile)
  // does not undo it.
  (void)write_hosts_files(engine, record, held_endpoints(engine, networks, record),
                          HostsUpdate::Own);
  (void)write_hosts_files(engine, record, {endpoint}, HostsUpdate::Announce);
  return ok();
}

}  // namespace

Status connect_container(Engine& engine, const std::string& network_name,
                         const std::string& container, const NetworkAttachment& wanted) {
  auto network = TRY(find_network(engine, network_name));
  auto view = TRY(engine.find_container(container));
  auto lock = TRY(engine.lock_container(view.record.id));
  ContainerRecord record = TRY(engine.read_record(view.record.id));
  if (record.network_mode == "host")
    return fail(Errc::InvalidArgument,
                "container cannot be disconnected from host network or connected to host network");
  if (!joins_networks(record))
    return fail(Errc::InvalidArgument,
                "container sharing network namespace with another container or host cannot be "
                "connected to any other network");
  auto networks = TRY(open_networks(engine));
  auto already = attachments(record);
  for (const auto& attachment : already) {
    auto other = find_network(engine, networks, attachment.network);
    if (other && other->id == network.id)
      return fail(Errc::AlreadyExists, "endpoint with name {} already exists in network {}",
                  record.name, network.name);
  }
  if (already.size() >= kMostNetworks)
    return fail(Errc::Busy, "container {} is on {} networks already", record.name, already.size());
  TRY(check_address(network, wanted.ipv4_address));
  NetworkAttachment attachment{network.name, wanted.ipv4_address, wanted.aliases};
  ContainerRecord before = record;
  // Back on NetworkMode's network after a disconnect: listed there again, with what is asked.
  if (record.left_network_mode && is_network_mode(record, network)) {
    record.left_network_mode = false;
    record.ipv4_address = wanted.ipv4_address;
    record.network_aliases = wanted.aliases;
  } else {
    record.more_networks.push_back(attachment);
  }
  TRY(engine.write_record(record));
  if (!has_namespace(view.state)) return ok();  // joined at the next start
  if (auto joined = join_running(engine, view, record, attachment); !joined) {
    (void)engine.write_record(before);
    return joined;
  }
  return ok();
}

Status disconnect_container(Engine& engine, const std::string& network_name,
                            const std::string& container) {
  auto network = TRY(find_network(engine, network_name));
  auto view = TRY(engine.find_container(container));
  auto lock = TRY(engine.lock_container(view.record.id));
  ContainerRecord record = TRY(engine.read_record(view.record.id));
  auto& more = record.more_networks;
  auto found = std::ranges::find_if(
      more, [&](const NetworkAttachment& attachment) { return same_network(attachment, network); });
  if (found != more.end()) {
    more.erase(found);
  } else if (joins_networks(record) && !record.left_network_mode &&
             is_network_mode(record, network)) {
    record.left_network_mode = true;  // NetworkMode still names it, as Docker's does
  } else {
    return fail(Errc::NotFound, "container {} is not connected to network {}", record.id,
                network.name);
  }
  TRY(engine.write_record(record));
  auto networks = TRY(open_networks(engine));
  if (has_namespace(view.state)) {
    if (int bridge = static_cast<int>(::if_nametoindex(network.interface().c_str())); bridge != 0) {
      if (auto veth = veth_on(record, bridge); !veth.empty())
        TRY_CTX(net::delete_link(veth), "network {}", network.name);  // its peer goes with it
    }
  }
  // Whatever the status: a monitor waiting to restart holds its claims too.
  auto left = release_on(networks, network, record.id, [](std::string_view) { return true; });
  TRY(write_hosts_files(engine, record, held_endpoints(engine, networks, record),
                        HostsUpdate::Own));
  return write_hosts_files(engine, record, left, HostsUpdate::Withdraw);
}

}  // namespace quai::engine::internal
