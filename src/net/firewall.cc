#include "net/firewall.h"

#include <dlfcn.h>
#include <nftables/libnftables.h>

#include <memory>

#include "base/sha256.h"
#include "base/strings.h"
#include "sys/dynamic_library.h"
#include "sys/file_io.h"

namespace quai::net {
namespace {

struct LibNftables {
  decltype(&nft_ctx_new) ctx_new;
  decltype(&nft_ctx_free) ctx_free;
  decltype(&nft_ctx_buffer_output) buffer_output;
  decltype(&nft_ctx_buffer_error) buffer_error;
  decltype(&nft_ctx_get_error_buffer) error_buffer;
  decltype(&nft_run_cmd_from_buffer) run;
};

Result<const LibNftables*> load_libnftables() {
  static const Result<LibNftables> loaded = []() -> Result<LibNftables> {
    void* library = ::dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr)
      return fail(Errc::Unsupported,
                  "published ports and network isolation need libnftables ({}): apt-get install "
                  "libnftables1",
                  ::dlerror());
    LibNftables nft;
    bool complete = true;
    auto bind = [&](auto& function, const char* name) {
      complete = sys::bind_symbol(library, function, name) && complete;
    };
    bind(nft.ctx_new, "nft_ctx_new");
    bind(nft.ctx_free, "nft_ctx_free");
    bind(nft.buffer_output, "nft_ctx_buffer_output");
    bind(nft.buffer_error, "nft_ctx_buffer_error");
    bind(nft.error_buffer, "nft_ctx_get_error_buffer");
    bind(nft.run, "nft_run_cmd_from_buffer");
    if (!complete) return fail(Errc::Unsupported, "libnftables.so.1 lacks nft_run_cmd_from_buffer");
    return nft;
  }();
  if (!loaded) return std::unexpected(loaded.error());
  return &*loaded;
}

// Runs one batch of nft commands, atomically: all of it or nothing. The error is nft's
// own first line ("Could not process rule: File exists"), which callers look at.
Status run_batch(const std::string& commands) {
  const LibNftables* nft = TRY(load_libnftables());
  std::unique_ptr<nft_ctx, void (*)(nft_ctx*)> ctx(nft->ctx_new(NFT_CTX_DEFAULT), nft->ctx_free);
  if (!ctx) return fail(Errc::Internal, "nftables: out of memory");
  nft->buffer_output(ctx.get());
  nft->buffer_error(ctx.get());
  if (nft->run(ctx.get(), commands.c_str()) == 0) return ok();
  std::string_view message = nft->error_buffer(ctx.get());
  message = message.substr(0, message.find('\n'));
  if (message.starts_with("Error: ")) message.remove_prefix(7);
  Errc code = message.find("File exists") != std::string_view::npos    ? Errc::AlreadyExists
              : message.find("No such file") != std::string_view::npos ? Errc::NotFound
                                                                       : Errc::Io;
  return fail(code, "nftables: {}", message);
}

// The rules, made once with the table. Everything that changes is in the sets and maps.
std::string table_definition(const std::string& t) {
  std::string rules = fmt::format(R"(create table ip {t}
add set ip {t} bridges {{ type ifname; }}
add set ip {t} internal {{ type ifname; }}
add set ip {t} nat_out {{ type ifname; }}
add set ip {t} intra {{ type ifname . ifname; }}
add map ip {t} ports_any {{ type inet_proto . inet_service : ipv4_addr . inet_service; }}
add map ip {t} ports_ip {{ type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service; }}
add chain ip {t} publish
add rule ip {t} publish dnat ip to ip daddr . meta l4proto . th dport map @ports_ip
add rule ip {t} publish dnat ip to meta l4proto . th dport map @ports_any
add chain ip {t} prerouting {{ type nat hook prerouting priority dstnat; }}
add rule ip {t} prerouting fib daddr type local jump publish
add chain ip {t} output {{ type nat hook output priority -100; }}
add rule ip {t} output fib daddr type local jump publish
add chain ip {t} postrouting {{ type nat hook postrouting priority srcnat; }}
add rule ip {t} postrouting ip saddr 127.0.0.0/8 oifname @bridges masquerade
add rule ip {t} postrouting ct status dnat iifname @bridges oifname @bridges masquerade
add rule ip {t} postrouting iifname @nat_out oifname != @bridges masquerade
add chain ip {t} forward {{ type filter hook forward priority filter; }}
add rule ip {t} forward iifname . oifname @intra accept
add rule ip {t} forward iifname @internal drop
add rule ip {t} forward oifname @internal drop
add rule ip {t} forward ct state established,related accept
add rule ip {t} forward oifname @bridges ct status dnat accept
add rule ip {t} forward oifname @bridges drop
add chain ip {t} guard {{ type filter hook prerouting priority raw; }}
add rule ip {t} guard iifname @bridges ip daddr 127.0.0.0/8 drop
)",
                                  fmt::arg("t", t));
  return rules;
}

std::string bridge_elements(const std::string& verb, const std::string& table,
                            const BridgeRules& bridge) {
  const std::string& name = bridge.interface;
  std::string batch = fmt::format(
      "{0} element ip {1} bridges {{ \"{2}\" }}\n"
      "{0} element ip {1} intra {{ \"{2}\" . \"{2}\" }}\n",
      verb, table, name);
  if (bridge.internal)
    batch += fmt::format("{} element ip {} internal {{ \"{}\" }}\n", verb, table, name);
  else if (bridge.masquerade)
    batch += fmt::format("{} element ip {} nat_out {{ \"{}\" }}\n", verb, table, name);
  return batch;
}

// "ports_any { tcp . 8080" or "ports_ip { 127.0.0.1 . tcp . 8080": the element's key.
std::string port_key(const std::string& table, const PortForward& port) {
  if (port.host_address.value == 0)
    return fmt::format("ip {} ports_any {{ {} . {}", table, port.protocol, port.host_port);
  return fmt::format("ip {} ports_ip {{ {} . {} . {}", table, port.host_address.str(),
                     port.protocol, port.host_port);
}

std::string add_port(const std::string& table, const PortForward& port) {
  return fmt::format("add element {} : {} . {} }}\n", port_key(table, port),
                     port.container_address.str(), port.container_port);
}

std::string delete_port(const std::string& table, const PortForward& port) {
  return fmt::format("delete element {} }}\n", port_key(table, port));
}

Status write_sysctl(const std::string& interface, const char* name, const char* value) {
  std::string path = fmt::format("/proc/sys/net/ipv4/conf/{}/{}", interface, name);
  TRY_CTX(sys::write_existing(path, value), "bridge {}", interface);
  return ok();
}

}  // namespace

std::string Firewall::table_for(const std::string& root, bool machine_store) {
  return machine_store ? "quai" : "quai_" + sha256_hex(root).substr(0, 12);
}

Status Firewall::ensure_table() {
  auto made = run_batch(table_definition(table_));
  if (!made && made.error().code() != Errc::AlreadyExists)
    return fail(made.error().code(), "make table ip {}: {}", table_, made.error().message());
  return ok();
}

Status Firewall::add_bridge(const BridgeRules& bridge) {
  TRY(ensure_table());
  TRY_CTX(run_batch(bridge_elements("add", table_, bridge)), "bridge {}", bridge.interface);
  if (bridge.internal) return ok();
  // Forwarding from the bridge only: a container reaches another through a published
  // port (in and out of this bridge), and the host's other interfaces stay as they are.
  TRY(write_sysctl(bridge.interface, "forwarding", "1"));
  return write_sysctl(bridge.interface, "route_localnet", "1");
}

Status Firewall::remove_bridge(const BridgeRules& bridge) {
  auto removed = run_batch(bridge_elements("delete", table_, bridge));
  // Without libnftables (Unsupported) no table was ever made: nothing to remove.
  if (!removed && removed.error().code() != Errc::NotFound &&
      removed.error().code() != Errc::Unsupported)
    return fail(removed.error().code(), "bridge {}: {}", bridge.interface,
                removed.error().message());
  return ok();
}

Status Firewall::publish(const std::vector<PortForward>& ports) {
  if (ports.empty()) return ok();
  TRY(ensure_table());
  std::string batch;
  for (const auto& port : ports) batch += add_port(table_, port);
  auto added = run_batch(batch);
  if (added || added.error().code() != Errc::AlreadyExists) return added;
  // A dead monitor's element holds a key: replaced one by one, since a batch that deletes
  // an element not there fails whole.
  for (const auto& port : ports) {
    if (run_batch(add_port(table_, port))) continue;
    TRY_CTX(run_batch(delete_port(table_, port) + add_port(table_, port)), "{}:{}/{}",
            port.host_address.str(), port.host_port, port.protocol);
  }
  return ok();
}

Status Firewall::unpublish(const std::vector<PortForward>& ports) {
  if (ports.empty()) return ok();
  std::string batch;
  for (const auto& port : ports) batch += delete_port(table_, port);
  if (run_batch(batch)) return ok();
  for (const auto& port : ports) (void)run_batch(delete_port(table_, port));
  return ok();
}

Status Firewall::remove_table() {
  auto removed = run_batch(fmt::format("delete table ip {}", table_));
  if (!removed && removed.error().code() != Errc::NotFound) return removed;
  return ok();
}

}  // namespace quai::net
