#include <gtest/gtest.h>

#include "base/json.h"

namespace quai {
namespace {

TEST(Json, ParseErrorNamesOrigin) {
  auto result = parse_json("{\"a\": ", "config.json");
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().to_string().find("config.json: invalid JSON"), std::string::npos);
}

TEST(Json, ANumberBeyondADoubleIsAnErrorNotACrash) {
  auto parsed = parse_json(R"({"Memory": 1e500})", "config.json");
  ASSERT_FALSE(parsed);
  EXPECT_TRUE(parsed.error().message().starts_with("config.json: invalid JSON: "))
      << parsed.error().message();
}

TEST(Json, FieldErrorsNameThePath) {
  Json doc = parse_json(R"({"linux": {"namespaces": [{"type": 3}]}})", "x").value();
  JsonReader root(doc, "");
  auto linux_section = root.object("linux").value();
  auto items = linux_section.array("namespaces").value();
  ASSERT_EQ(items.size(), 1u);
  auto type = items[0].string("type");
  ASSERT_FALSE(type);
  EXPECT_EQ(type.error().to_string(), "linux.namespaces[0].type: expected a string");
}

TEST(Json, NumbersAreRangeChecked) {
  Json doc = parse_json(R"({"neg": -1, "big": 18446744073709551615, "f": 1.5})", "x").value();
  JsonReader root(doc, "spec");
  EXPECT_EQ(root.int64("neg").value(), -1);
  EXPECT_EQ(root.uint64("big").value(), 18446744073709551615ULL);
  EXPECT_FALSE(root.uint64("neg"));
  EXPECT_FALSE(root.int64("big"));
  EXPECT_EQ(root.int64("f").error().to_string(), "spec.f: expected an integer");
  EXPECT_FALSE(root.optional_int64("absent").value().has_value());
}

TEST(Json, StringListsAndMaps) {
  Json doc = parse_json(R"({"l": ["a", 1], "m": {"k": "v"}})", "x").value();
  JsonReader root(doc, "");
  EXPECT_EQ(root.strings("l").error().to_string(), "l[1]: expected a string");
  EXPECT_EQ(root.string_map("m").value().at("k"), "v");
  EXPECT_TRUE(root.strings("none").value().empty());
}

}  // namespace
}  // namespace quai
