#pragma once
// `network create/ls/inspect/rm/prune`: the records (net/network_store.h) and their
// bridges, seen from the engine, which knows which containers sit on them.

#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "net/network_store.h"

namespace quai::engine {

/// Records the network and makes its bridge.
Result<net::NetworkRecord> create_network(Engine& engine, const net::NetworkSpec& spec);
/// Every network, the default bridge included (made on first use), by name.
Result<std::vector<net::NetworkRecord>> list_networks(Engine& engine);
/// Docker's inspect object, Containers filled from the addresses held by live containers.
Result<Json> inspect_network(Engine& engine, const std::string& name_or_id);
/// Refused while a running container is on it ("… has active endpoints"); the default
/// bridge is never removed.
Status remove_network(Engine& engine, const std::string& name_or_id);
/// A container's NetworkSettings as Docker's inspect shows them: its address on each
/// network while it runs, and its ports (published, or exposed and null).
Json network_settings(Engine& engine, const ContainerView& view);
/// `network connect [--ip --alias] NETWORK CONTAINER`; a running container joins at once.
/// Docker's messages: "endpoint with name X already exists in network Y", and the host and
/// shared-namespace refusals.
Status connect_network(Engine& engine, const std::string& network, const std::string& container,
                       const std::string& address, const std::vector<std::string>& aliases);
/// `network disconnect NETWORK CONTAINER`: "container X is not connected to network Y".
Status disconnect_network(Engine& engine, const std::string& network, const std::string& container);
/// Removes every user-defined network no running container is on; returns their names.
Result<std::vector<std::string>> prune_networks(Engine& engine);

}  // namespace quai::engine
