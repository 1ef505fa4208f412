#include "engine/resolv_conf.h"

#include <gtest/gtest.h>

namespace quai::engine {
namespace {

constexpr std::string_view kHost =
    "# from the host\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch corp.example\n"
    "options edns0\n";

TEST(ResolvConf, DropsTheHostsLoopbackServersAndKeepsTheRest) {
  EXPECT_EQ(container_resolv_conf(kHost, {}, false),
            "nameserver 10.0.0.2\nsearch corp.example\noptions edns0\n");
}

TEST(ResolvConf, FallsBackToDockersServersWhenOnlyLoopbackWasThere) {
  EXPECT_EQ(container_resolv_conf("nameserver 127.0.0.53\n", {}, false),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(ResolvConf, FlagsReplaceWhatTheyName) {
  DnsSettings flags{{"192.0.2.53"}, {"a.example", "b.example"}, {"ndots:2"}};
  EXPECT_EQ(container_resolv_conf(kHost, flags, false),
            "nameserver 192.0.2.53\nsearch a.example b.example\noptions ndots:2\n");
  EXPECT_EQ(container_resolv_conf(kHost, {{}, {"."}, {}}, false),
            "nameserver 10.0.0.2\noptions edns0\n")
      << "--dns-search . removes the search domains";
}

TEST(ResolvConf, CommentsAreNotServers) {
  EXPECT_EQ(container_resolv_conf("nameserver 10.0.0.2 # the office\n; old\n", {}, false),
            "nameserver 10.0.0.2\n");
}

TEST(ResolvConf, HostNetworkTakesTheHostsFileAsItIs) {
  EXPECT_EQ(container_resolv_conf(kHost, {}, true), kHost);
  EXPECT_EQ(container_resolv_conf(kHost, {{"192.0.2.53"}, {}, {}}, true),
            "nameserver 192.0.2.53\nsearch corp.example\noptions edns0\n");
}

}  // namespace
}  // namespace quai::engine
