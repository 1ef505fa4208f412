#pragma once
// IPv4 addresses and subnets as Docker writes them ("172.18.0.2", "172.18.0.0/16").

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace quai::net {

struct Ipv4 {
  uint32_t value = 0;  // host byte order

  /// InvalidArgument naming the text when it is not four dotted decimals.
  static Result<Ipv4> parse(std::string_view text);
  std::string str() const;
  auto operator<=>(const Ipv4&) const = default;
};

struct Subnet {
  Ipv4 base;
  int prefix = 0;

  /// "a.b.c.d/n" with no host bits set (Docker: "it should be 172.28.0.0/16").
  static Result<Subnet> parse(std::string_view text);
  std::string str() const;
  uint32_t mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  /// How many addresses, network and broadcast included.
  uint64_t size() const { return uint64_t{1} << (32 - prefix); }
  /// The address `offset` places after the network address.
  Ipv4 at(uint64_t offset) const { return Ipv4{base.value + static_cast<uint32_t>(offset)}; }
  bool contains(Ipv4 address) const { return (address.value & mask()) == base.value; }
  bool contains(const Subnet& other) const {
    return other.prefix >= prefix && contains(other.base);
  }
  bool overlaps(const Subnet& other) const { return contains(other.base) || other.contains(base); }
  bool operator==(const Subnet&) const = default;
};

/// Docker's MAC for an address: 02:42 then the address's four bytes.
std::string mac_for(Ipv4 address);

}  // namespace quai::net
