#include "net/ipv4.h"

#include <gtest/gtest.h>

namespace quai::net {
namespace {

TEST(Ipv4, ParsesAndPrintsDottedDecimals) {
  auto address = Ipv4::parse("172.18.0.2");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->value, 0xAC120002u);
  EXPECT_EQ(address->str(), "172.18.0.2");
}

TEST(Ipv4, RefusesWhatIsNotFourOctets) {
  for (const char* text : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.x", "01.2.3.4", "1..2.3",
                           "1.2.3.4 ", "-1.2.3.4"}) {
    auto address = Ipv4::parse(text);
    ASSERT_FALSE(address) << text;
    EXPECT_EQ(address.error().to_string(), fmt::format("invalid IPv4 address \"{}\"", text));
  }
}

TEST(Subnet, RefusesHostBitsAsDockerDoes) {
  auto subnet = Subnet::parse("172.28.5.1/16");
  ASSERT_FALSE(subnet);
  EXPECT_EQ(subnet.error().to_string(), "invalid subnet 172.28.5.1/16: it should be 172.28.0.0/16");
  EXPECT_FALSE(Subnet::parse("172.28.0.0/33"));
  EXPECT_FALSE(Subnet::parse("172.28.0.0"));
}

TEST(Subnet, ContainsAndOverlaps) {
  Subnet wide = Subnet::parse("10.0.0.0/8").value();
  Subnet narrow = Subnet::parse("10.1.2.0/24").value();
  Subnet other = Subnet::parse("10.1.3.0/24").value();
  EXPECT_TRUE(wide.contains(narrow));
  EXPECT_FALSE(narrow.contains(wide));
  EXPECT_TRUE(wide.overlaps(narrow) && narrow.overlaps(wide));
  EXPECT_FALSE(narrow.overlaps(other));
  EXPECT_EQ(narrow.size(), 256u);
  EXPECT_EQ(narrow.at(255).str(), "10.1.2.255");
  EXPECT_TRUE(Subnet::parse("0.0.0.0/0").value().contains(Ipv4::parse("8.8.8.8").value()));
}

TEST(Mac, IsDockersFormForTheAddress) {
  EXPECT_EQ(mac_for(Ipv4::parse("172.17.0.2").value()), "02:42:ac:11:00:02");
}

}  // namespace
}  // namespace quai::net
