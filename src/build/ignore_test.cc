// .dockerignore as Docker reads it: the last matching pattern decides.
#include <gtest/gtest.h>

#include "build/ignore.h"

namespace quai::build {
namespace {

IgnoreMatcher matcher(std::string_view text) {
  auto parsed = IgnoreMatcher::parse(text, ".dockerignore");
  EXPECT_TRUE(parsed) << parsed.error().message();
  return parsed ? *parsed : IgnoreMatcher{};
}

TEST(Ignore, StarsAndQuestionMarksStopAtSlashes) {
  auto m = matcher("*.log\nbuild?\n");
  EXPECT_TRUE(m.excluded("a.log"));
  EXPECT_FALSE(m.excluded("sub/a.log")) << "* does not cross directories";
  EXPECT_TRUE(m.excluded("build1"));
  EXPECT_FALSE(m.excluded("build12"));
}

TEST(Ignore, DoubleStarMatchesAnyDepth) {
  auto m = matcher("**/*.o\ndocs/**\n");
  EXPECT_TRUE(m.excluded("x.o"));
  EXPECT_TRUE(m.excluded("a/b/c/x.o"));
  EXPECT_TRUE(m.excluded("docs/a/b"));
  EXPECT_FALSE(m.excluded("src/x.c"));
}

TEST(Ignore, ExceptionsAndTheLastMatchWins) {
  auto m = matcher("*.md\n!README.md\nREADME*\n!keep/**\n");
  EXPECT_TRUE(m.excluded("CHANGES.md"));
  EXPECT_TRUE(m.excluded("README.md")) << "README* comes after the exception";
  auto n = matcher("logs\n!logs/keep.txt\n");
  EXPECT_TRUE(n.excluded("logs/other.txt")) << "a parent dir excludes what is below";
  EXPECT_FALSE(n.excluded("logs/keep.txt"));
  EXPECT_TRUE(n.may_include_below("logs"));
  EXPECT_FALSE(matcher("logs\n").may_include_below("logs"));
}

TEST(Ignore, PatternsAreCleanedPaths) {
  auto m = matcher("# comment\n\n  /abs/path  \n./dot//slashes/\n");
  EXPECT_TRUE(m.excluded("abs/path"));
  EXPECT_TRUE(m.excluded("dot/slashes"));
  EXPECT_TRUE(m.excluded("dot/slashes/below"));
  EXPECT_FALSE(m.excluded("comment"));
}

TEST(Ignore, BadPatternsNameTheFileAndLine) {
  auto bad = IgnoreMatcher::parse("ok\n[unclosed\n", ".dockerignore");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().message().starts_with(".dockerignore:2: ")) << bad.error().message();
}

TEST(Ignore, ExcludeFlagUsesTheSameRules) {
  auto m = IgnoreMatcher::from_patterns({"*.tmp", "!keep.tmp"});
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->excluded("x.tmp"));
  EXPECT_FALSE(m->excluded("keep.tmp"));
}

}  // namespace
}  // namespace quai::build
