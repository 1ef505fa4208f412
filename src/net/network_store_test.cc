#include "net/network_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "sys/fs.h"

namespace quai::net {
namespace {

class NetworkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quai-network-store-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store_.emplace(NetworkStore::open(dir_).value());
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }

  NetworkRecord create(const std::string& name, const std::string& subnet = "",
                       const std::vector<Subnet>& in_use = {}) {
    NetworkSpec spec;
    spec.name = name;
    spec.subnet = subnet;
    auto made = store_->create(spec, in_use, 1400);
    EXPECT_TRUE(made) << made.error().to_string();
    return made.value_or(NetworkRecord{});
  }
  static bool nobody_gone(std::string_view) { return false; }

  std::string dir_;
  std::optional<NetworkStore> store_;
};

TEST_F(NetworkStoreTest, TakesDockersPoolsInOrderPassingThoseInUse) {
  EXPECT_EQ(create("a").subnet.str(), "172.17.0.0/16");
  EXPECT_EQ(create("b", "", {Subnet::parse("172.18.5.0/24").value()}).subnet.str(),
            "172.19.0.0/16");
  NetworkRecord c = create("c");
  EXPECT_EQ(c.subnet.str(), "172.18.0.0/16") << "the host route is gone now";
  EXPECT_EQ(c.gateway.str(), "172.18.0.1");
  EXPECT_EQ(c.mtu(), 1400) << "the host's MTU";
  EXPECT_EQ(c.interface(), "qbr-" + c.id.substr(0, 11));
}

TEST_F(NetworkStoreTest, AfterTheSixteensComeTwentiesOf192168) {
  std::vector<Subnet> all172 = {Subnet::parse("172.16.0.0/12").value()};
  EXPECT_EQ(create("a", "", all172).subnet.str(), "192.168.0.0/20");
  EXPECT_EQ(create("b", "", all172).subnet.str(), "192.168.16.0/20");
}

TEST_F(NetworkStoreTest, RefusesATakenNameAndAnOverlappingSubnet) {
  create("web", "10.10.0.0/16");
  NetworkSpec same;
  same.name = "web";
  auto again = store_->create(same, {}, 1500);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().to_string(), "network with name web already exists");
  NetworkSpec overlapping;
  overlapping.name = "db";
  overlapping.subnet = "10.10.128.0/17";
  auto overlap = store_->create(overlapping, {}, 1500);
  ASSERT_FALSE(overlap);
  EXPECT_EQ(overlap.error().to_string(),
            "invalid pool request: Pool overlaps with other one on this address space");
  EXPECT_FALSE(store_->find("db")) << "a refused create leaves no name behind";
}

TEST_F(NetworkStoreTest, RefusesBadNames) {
  NetworkSpec spec;
  spec.name = "../x";
  auto made = store_->create(spec, {}, 1500);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().to_string(),
            "invalid network name \"../x\": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
}

TEST_F(NetworkStoreTest, FindsByNameIdAndPrefixAndForgetsOnRemove) {
  NetworkRecord web = create("web");
  EXPECT_EQ(store_->find("web").value().id, web.id);
  EXPECT_EQ(store_->find(web.id).value().name, "web");
  EXPECT_EQ(store_->find(web.id.substr(0, 6)).value().name, "web");
  ASSERT_TRUE(store_->remove(web));
  auto gone = store_->find("web");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().to_string(), "network web not found");
  EXPECT_EQ(sys::list_directory(dir_ + "/network-names").value(), std::vector<std::string>{});
}

TEST_F(NetworkStoreTest, HandsOutTheLowestFreeAddressAndKeepsAHoldersOwn) {
  NetworkRecord net = create("net", "10.5.0.0/29");  // .1 gateway, .2-.6 hosts, .7 broadcast
  EXPECT_EQ(store_->claim_address(net, "a", {}, nobody_gone).value().str(), "10.5.0.2");
  EXPECT_EQ(store_->claim_address(net, "b", {}, nobody_gone).value().str(), "10.5.0.3");
  EXPECT_EQ(store_->claim_address(net, "a", {}, nobody_gone).value().str(), "10.5.0.2");
  ASSERT_TRUE(store_->release_address(net, Ipv4::parse("10.5.0.2").value(), "a"));
  EXPECT_EQ(store_->claim_address(net, "c", {}, nobody_gone).value().str(), "10.5.0.2");
  for (const char* holder : {"d", "e", "f"})
    ASSERT_TRUE(store_->claim_address(net, holder, {}, nobody_gone));
  auto full = store_->claim_address(net, "g", {}, nobody_gone);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().to_string(), "no available IPv4 addresses on network net");
  auto gone_b = [](std::string_view holder) { return holder == "b"; };
  EXPECT_EQ(store_->claim_address(net, "g", {}, gone_b).value().str(), "10.5.0.3");
}

TEST_F(NetworkStoreTest, AClaimKeepsTheNamesItsHolderAnswersTo) {
  NetworkRecord net = create("net", "10.8.0.0/24");
  std::vector<std::string> names = {"web", "www", "front"};
  EXPECT_EQ(store_->claim_address(net, "a:1:2", {}, nobody_gone, names).value().str(), "10.8.0.2");
  ASSERT_TRUE(store_->claim_address(net, "b:3:4", {}, nobody_gone));
  auto claims = store_->claims_with_names(net).value();
  ASSERT_EQ(claims.size(), 2u);
  EXPECT_EQ(claims.begin()->second.holder, "a:1:2");
  EXPECT_EQ(claims.begin()->second.names, names);
  EXPECT_EQ(std::next(claims.begin())->second.names, std::vector<std::string>{});
  // The holder is the claim's, names or not: its own claim is kept, and it gives it back.
  EXPECT_EQ(store_->claims(net).value().begin()->second, "a:1:2");
  EXPECT_EQ(store_->claim_address(net, "a:1:2", {}, nobody_gone).value().str(), "10.8.0.2");
  ASSERT_TRUE(store_->release_address(net, Ipv4::parse("10.8.0.2").value(), "a:1:2"));
  EXPECT_EQ(store_->claims(net).value().size(), 1u);
  auto spaced = store_->claim_address(net, "c:5:6", {}, nobody_gone, {"two words"});
  ASSERT_FALSE(spaced);
  EXPECT_EQ(spaced.error().to_string(), "network net: invalid name \"two words\"");
}

TEST_F(NetworkStoreTest, AWantedAddressMustBeFreeAndInTheSubnet) {
  NetworkRecord net = create("net", "10.6.0.0/24");
  Ipv4 wanted = Ipv4::parse("10.6.0.50").value();
  EXPECT_EQ(store_->claim_address(net, "a", wanted, nobody_gone).value(), wanted);
  auto taken = store_->claim_address(net, "b", wanted, nobody_gone);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().to_string(), "Address already in use");
  auto gateway = store_->claim_address(net, "b", Ipv4::parse("10.6.0.1").value(), nobody_gone);
  EXPECT_FALSE(gateway);
  auto outside = store_->claim_address(net, "b", Ipv4::parse("10.7.0.5").value(), nobody_gone);
  ASSERT_FALSE(outside);
  EXPECT_EQ(outside.error().to_string(),
            "Invalid address 10.7.0.5: It does not belong to any of this network's subnets");
}

TEST_F(NetworkStoreTest, TheDefaultBridgeIsMadeOnceOnQuai0) {
  NetworkRecord bridge = store_->default_bridge({}, 1400, "quai0").value();
  EXPECT_EQ(bridge.name, "bridge");
  EXPECT_EQ(bridge.interface(), "quai0");
  EXPECT_EQ(store_->default_bridge({}, 1400, "quai0").value().id, bridge.id);
  EXPECT_EQ(store_->list().value().size(), 1u);
}

}  // namespace
}  // namespace quai::net
