#include "net/ipv4.h"

#include <charconv>

#include <fmt/format.h>

namespace quai::net {
namespace {

bool parse_octet(std::string_view& text, uint32_t& octet) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), octet);
  size_t used = static_cast<size_t>(end - text.data());
  if (error != std::errc{} || used == 0 || used > 3 || octet > 255) return false;
  if (used > 1 && text[0] == '0') return false;  // "010" is octal to inet_aton: refuse it
  text.remove_prefix(used);
  return true;
}

}  // namespace

Result<Ipv4> Ipv4::parse(std::string_view text) {
  std::string_view rest = text;
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t octet = 0;
    if (!parse_octet(rest, octet) || (i < 3 && (rest.empty() || rest[0] != '.')))
      return fail(Errc::InvalidArgument, "invalid IPv4 address \"{}\"", text);
    if (i < 3) rest.remove_prefix(1);
    value = value << 8 | octet;
  }
  if (!rest.empty()) return fail(Errc::InvalidArgument, "invalid IPv4 address \"{}\"", text);
  return Ipv4{value};
}

std::string Ipv4::str() const {
  return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 255, (value >> 8) & 255,
                     value & 255);
}

Result<Subnet> Subnet::parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    return fail(Errc::InvalidArgument, "invalid subnet \"{}\": expected ADDRESS/PREFIX", text);
  auto address = Ipv4::parse(text.substr(0, slash));
  std::string_view length = text.substr(slash + 1);
  int prefix = -1;
  auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), prefix);
  if (!address || error != std::errc{} || end != length.data() + length.size() || prefix < 0 ||
      prefix > 32)
    return fail(Errc::InvalidArgument, "invalid subnet \"{}\"", text);
  Subnet subnet{*address, prefix};
  subnet.base.value &= subnet.mask();
  if (subnet.base != *address)
    return fail(Errc::InvalidArgument, "invalid subnet {}: it should be {}", text, subnet.str());
  return subnet;
}

std::string Subnet::str() const { return fmt::format("{}/{}", base.str(), prefix); }

std::string mac_for(Ipv4 address) {
  return fmt::format("02:42:{:02x}:{:02x}:{:02x}:{:02x}", address.value >> 24,
                     (address.value >> 16) & 255, (address.value >> 8) & 255, address.value & 255);
}

}  // namespace quai::net
