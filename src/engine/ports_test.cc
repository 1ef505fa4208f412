#include "engine/ports.h"

#include <gtest/gtest.h>

namespace quai::engine {
namespace {

std::vector<PortBinding> parsed(std::string_view spec) {
  auto bindings = parse_publish(spec);
  EXPECT_TRUE(bindings) << spec << ": " << bindings.error().message();
  return bindings.value_or(std::vector<PortBinding>{});
}

std::string error_of(std::string_view spec) {
  auto bindings = parse_publish(spec);
  return bindings ? "parsed" : bindings.error().message();
}

TEST(ParsePublish, TakesEachOfDockersForms) {
  EXPECT_EQ(parsed("80"), (std::vector<PortBinding>{{80, "tcp", "", 0, 0}}));
  EXPECT_EQ(parsed("8080:80"), (std::vector<PortBinding>{{80, "tcp", "", 8080, 0}}));
  EXPECT_EQ(parsed("127.0.0.1:8080:80/udp"),
            (std::vector<PortBinding>{{80, "udp", "127.0.0.1", 8080, 0}}));
  EXPECT_EQ(parsed("127.0.0.1::80"), (std::vector<PortBinding>{{80, "tcp", "127.0.0.1", 0, 0}}));
}

TEST(ParsePublish, PairsRangesAndPicksFromAHostRangeForOnePort) {
  EXPECT_EQ(parsed("8000-8001:80-81"),
            (std::vector<PortBinding>{{80, "tcp", "", 8000, 0}, {81, "tcp", "", 8001, 0}}));
  EXPECT_EQ(parsed("80-81/udp"),
            (std::vector<PortBinding>{{80, "udp", "", 0, 0}, {81, "udp", "", 0, 0}}));
  EXPECT_EQ(parsed("9000-9009:80"), (std::vector<PortBinding>{{80, "tcp", "", 9000, 9009}}));
}

TEST(ParsePublish, NamesWhatIsWrong) {
  EXPECT_EQ(error_of("http"), "invalid containerPort: http");
  EXPECT_EQ(error_of("0"), "invalid containerPort: 0");
  EXPECT_EQ(error_of("x:80"), "invalid hostPort: x");
  EXPECT_EQ(error_of("70000:80"), "invalid hostPort: 70000");
  EXPECT_EQ(error_of("1.2.3:80:80"), "invalid IP address: 1.2.3");
  EXPECT_EQ(error_of("80/sctp"), "invalid proto: sctp");
  EXPECT_EQ(error_of("8000-8002:80-81"),
            "Invalid ranges specified for container and host Ports: 80-81 and 8000-8002");
  EXPECT_EQ(error_of("1:2:3:4"), "invalid port format: 1:2:3:4");
}

TEST(PortBindings, RoundTripThroughDockersJson) {
  std::vector<PortBinding> bindings = {
      {80, "tcp", "127.0.0.1", 8080, 0}, {53, "udp", "", 0, 0}, {81, "tcp", "", 9000, 9009}};
  Json json = port_bindings_to_json(bindings);
  EXPECT_EQ(json["80/tcp"][0]["HostPort"], "8080");
  EXPECT_EQ(json["81/tcp"][0]["HostPort"], "9000-9009");
  auto back = port_bindings_from_json(JsonReader(json, "PortBindings"));
  ASSERT_TRUE(back) << back.error().message();
  std::ranges::sort(bindings, {}, &PortBinding::container_port);
  std::ranges::sort(*back, {}, &PortBinding::container_port);
  EXPECT_EQ(*back, bindings);
}

TEST(PortsColumn, ShowsPublishedThenExposedOnly) {
  EXPECT_EQ(ports_column({{80, "tcp", "127.0.0.1", 8080}}, {"443/tcp", "80/tcp"}),
            "127.0.0.1:8080->80/tcp, 443/tcp");
  EXPECT_EQ(ports_column({}, {}), "");
}

}  // namespace
}  // namespace quai::engine
