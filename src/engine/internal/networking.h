#pragma once
// A container's place on its networks, set up by its monitor: addresses claimed before
// /etc/hosts is written, a veth pair per network made into the container's namespace
// between the runtime's create and start (no program of the container runs yet), and the
// claims given back when the monitor ends. The veths need no teardown: the kernel deletes
// them with the namespace.

#include <sys/types.h>

#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "net/firewall.h"
#include "net/network.h"

namespace quai::engine::internal {

struct Endpoint {
  net::NetworkRecord network;
  net::Ipv4 address;
  std::string holder;              // what the claim names (claim_endpoints)
  std::vector<std::string> names;  // the container's there: its name and aliases
};

/// The nftables table of this engine's networks (net/firewall.h).
net::Firewall firewall(Engine& engine);
/// Makes the network's bridge if this boot has not, with its firewall elements; returns its
/// interface index.
Result<int> ensure_network_bridge(Engine& engine, const net::NetworkRecord& network);
/// Deletes the network's bridge and its firewall elements.
Status remove_network_bridge(Engine& engine, const net::NetworkRecord& network);

/// Whether the monitor that made a claim ("<container id>:<pid>:<start time>") is gone.
bool monitor_gone(std::string_view holder);
/// Whether NetworkMode names networks to join (not none, host or container:ID).
bool joins_networks(const ContainerRecord& record);
/// The networks the container joins, NetworkMode's first (none for none, host and
/// container:ID).
std::vector<NetworkAttachment> attachments(const ContainerRecord& record);
/// The network NetworkMode names (the default bridge is made on first use): NotFound
/// "network X not found".
Result<net::NetworkRecord> find_network(Engine& engine, const std::string& name);
/// What `create` checks: the network exists, and --ip is only given for a user-defined one
/// (Docker's rules and messages).
/// container:NAME becomes container:<full id>.
Status check_network_request(Engine& engine, ContainerRecord& record);
/// For --network container:ID, the network namespace of that container's init (running,
/// and the same process as recorded); empty for every other mode.
Result<std::string> shared_network_namespace(Engine& engine, const ContainerRecord& record);
/// An address on each network, claimed for this monitor (its pid and start time, so that
/// a crashed monitor's claim is free again).
Result<std::vector<Endpoint>> claim_endpoints(Engine& engine, const ContainerRecord& record);
/// The endpoints the container's live monitor holds (none once it is gone).
std::vector<Endpoint> held_endpoints(Engine& engine, const ContainerRecord& record);
/// The network namespace of a container that joins networks, made by a thread of its
/// monitor while the runtime prepares the container (which joins it by path), with a veth
/// pair per endpoint made in it meanwhile: the network costs a start little more than the
/// thread's own work in parallel. The namespace lives on in the container's processes.
class NamespaceSetup {
 public:
  /// Starts the thread, which makes the bridges this boot has not made yet, then the
  /// namespace, then the veths.
  static Result<std::unique_ptr<NamespaceSetup>> start(Engine& engine,
                                                       const ContainerRecord& record,
                                                       const std::vector<Endpoint>& endpoints);
  NamespaceSetup() = default;
  NamespaceSetup(const NamespaceSetup&) = delete;
  NamespaceSetup& operator=(const NamespaceSetup&) = delete;
  ~NamespaceSetup();

  /// For the OCI spec: "/proc/<monitor pid>/fd/<fd>", known at once (the fd is held by a
  /// placeholder that the namespace replaces).
  std::string path() const;
  /// Waits for the namespace: before the runtime opens path().
  Status ready();
  /// Waits for the veths.
  Status wait();

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::future<Status> made_;
  Status namespace_made_ = ok();
  std::thread thread_;
};
/// The claims a killed monitor of the container left (free already, but still on disk).
void release_dead_claims(Engine& engine, const ContainerRecord& record);
/// Gives the endpoints' claims back (those `holder` still holds); returns them.
std::vector<Endpoint> release_endpoints(Engine& engine, const std::vector<Endpoint>& endpoints);
/// Gives back every claim this monitor holds for the container, `network connect`'s
/// included; returns them.
std::vector<Endpoint> release_own_claims(Engine& engine, const ContainerRecord& record);

/// Docker's --ip rules for `network`: a user-defined one, an address in its subnet.
Status check_address(const net::NetworkRecord& network, const std::string& address);
/// `network connect`: recorded (the next start joins it), and for a running container
/// joined now: an address claimed for its monitor, a veth, the hosts files.
Status connect_container(Engine& engine, const std::string& network, const std::string& container,
                         const NetworkAttachment& wanted);
/// `network disconnect`: the reverse, for a network joined with `connect` (or a second
/// --network).
Status disconnect_container(Engine& engine, const std::string& network,
                            const std::string& container);

/// How containers find each other by name (docs/DECISIONS.md): a container's /etc/hosts
/// holds Docker's defaults, its own address on each network (or 127.0.1.1), then every other
/// running container on its user-defined networks by name and aliases (as their claims give
/// them), then its --link names.
enum class HostsUpdate {
  Own,             // the container's file, written whole
  Announce,        // a line for it added to the files of the others on `endpoints`
  OwnAndAnnounce,  // both: it joined
  Withdraw         // its line taken out of the others' files: it left
};
/// Each file is written in place (it is bind-mounted on a container's /etc/hosts), under the
/// lock of each network's claims, so that containers joining at once still list each other.
Status write_hosts_files(Engine& engine, const ContainerRecord& record,
                         const std::vector<Endpoint>& endpoints, HostsUpdate update);

}  // namespace quai::engine::internal
