// What networking reads from outside: -p specs (the CLI and the API's PortBindings),
// /etc/resolv.conf, and container and network records (JSON from the store, which an API
// client's create request fills).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/json.h"
#include "engine/container.h"
#include "engine/ports.h"
#include "engine/resolv_conf.h"
#include "net/network.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto bindings = quai::engine::parse_publish(text); bindings) {
    // Every binding names a real port, and a host range runs upwards.
    for (const auto& binding : *bindings) {
      if (binding.container_port == 0) __builtin_trap();
      if (binding.host_port_last != 0 && binding.host_port_last < binding.host_port)
        __builtin_trap();
    }
  }
  (void)quai::engine::container_resolv_conf(text, {}, false);
  if (auto json = quai::parse_json(text, "fuzz"); json) {
    if (auto record = quai::engine::ContainerRecord::from_json(*json, "fuzz"); record) {
      // A record that reads must write and read again the same.
      auto again = quai::engine::ContainerRecord::from_json(record->to_json(), "again");
      if (!again || again->to_json() != record->to_json()) __builtin_trap();
    }
    (void)quai::net::NetworkRecord::from_json(*json, "fuzz");
  }
  return 0;
}
