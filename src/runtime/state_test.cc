#include <signal.h>

#include <gtest/gtest.h>

#include "runtime/container.h"
#include "runtime/state.h"

namespace quai::runtime {
namespace {

TEST(ContainerId, AllowsRuncCharactersOnly) {
  EXPECT_TRUE(validate_container_id("web-1_a.b+c"));
  EXPECT_FALSE(validate_container_id(""));
  EXPECT_FALSE(validate_container_id(".."));
  EXPECT_FALSE(validate_container_id("a/b"));
  EXPECT_EQ(validate_container_id("a b").error().to_string(),
            "invalid container id \"a b\": only [A-Za-z0-9_+.-] allowed");
}

TEST(ContainerState, RoundTripsThroughJson) {
  ContainerState state;
  state.id = "c1";
  state.bundle = "/b";
  state.oci_version = "1.2.0";
  state.created = "2026-01-01T00:00:00Z";
  state.pid = 42;
  state.start_time = 12345;
  state.annotations["k"] = "v";
  auto back = ContainerState::from_json(state.to_json(), "state.json");
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->pid, 42);
  EXPECT_EQ(back->start_time, 12345u);
  EXPECT_EQ(back->annotations.at("k"), "v");
}

TEST(ContainerState, CorruptStateIsReportedWithItsFile) {
  auto back = ContainerState::from_json(Json{{"id", 3}}, "/run/x/state.json");
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), Errc::Corrupt);
  EXPECT_EQ(back.error().to_string(), "/run/x/state.json: id: expected a string");
}

TEST(Signals, NamesNumbersAndPrefixes) {
  EXPECT_EQ(parse_signal("KILL").value(), SIGKILL);
  EXPECT_EQ(parse_signal("SIGTERM").value(), SIGTERM);
  EXPECT_EQ(parse_signal("usr1").value(), SIGUSR1);
  EXPECT_EQ(parse_signal("9").value(), 9);
  EXPECT_FALSE(parse_signal("NOPE"));
  EXPECT_FALSE(parse_signal("0"));
  EXPECT_FALSE(parse_signal("99"));
}

}  // namespace
}  // namespace quai::runtime
