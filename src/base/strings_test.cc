#include <gtest/gtest.h>

#include "base/strings.h"

namespace quai {
namespace {

TEST(Strings, SplitKeepsEmptyParts) {
  EXPECT_EQ(split("a::b", ':'), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(split("", ':'), (std::vector<std::string>{""}));
}

TEST(Strings, JoinAndTrim) {
  EXPECT_EQ(join({"a", "b", "c"}, ","), "a,b,c");
  EXPECT_EQ(trim("  x y\n"), "x y");
  EXPECT_EQ(trim(" \n"), "");
}

TEST(Strings, ParseNumbersRejectsTrailingText) {
  EXPECT_EQ(parse_int64("-12").value(), -12);
  EXPECT_EQ(parse_uint64("18446744073709551615").value(), 18446744073709551615ULL);
  EXPECT_FALSE(parse_int64("12x"));
  EXPECT_FALSE(parse_uint64("-1"));
  EXPECT_FALSE(parse_uint64(""));
}

}  // namespace
}  // namespace quai
