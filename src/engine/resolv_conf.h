#pragma once
// A container's /etc/resolv.conf, made from the host's as Docker makes it: --dns,
// --dns-search and --dns-option replace the host's nameservers, search domains and options;
// without --dns, the host's loopback nameservers are dropped (they would be the container's
// own loopback), and with none left Google's public ones are used, as in Docker. With
// --network host the host's file is taken as it is, unless flags say otherwise.

#include <string>
#include <string_view>
#include <vector>

namespace quai::engine {

struct DnsSettings {
  std::vector<std::string> servers;  // --dns
  std::vector<std::string> search;   // --dns-search
  std::vector<std::string> options;  // --dns-option
};

std::string container_resolv_conf(std::string_view host_file, const DnsSettings& wanted,
                                  bool host_network);

}  // namespace quai::engine
