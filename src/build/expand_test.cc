// Variable substitution as Docker does it in ENV, ARG, COPY, WORKDIR…: not a shell.
#include <gtest/gtest.h>

#include "build/expand.h"

namespace quai::build {
namespace {

const Variables kVars = {
    {"A", "x y"}, {"EMPTY", ""}, {"P", "/usr/local/bin"}, {"N", "name"}, {"F", "a.tar.gz"}};

std::string word(std::string_view text, char escape = '\\') {
  auto expanded = expand_word(text, kVars, escape);
  EXPECT_TRUE(expanded) << text << ": " << expanded.error().message();
  return expanded && !expanded->words.empty() ? expanded->words[0] : "";
}

std::string error_of(std::string_view text) {
  auto expanded = expand_word(text, kVars, '\\');
  EXPECT_FALSE(expanded) << text;
  return expanded ? "" : expanded.error().message();
}

TEST(Expand, PlainAndBracedNames) {
  EXPECT_EQ(word("$N-${N}_$N.txt"), "name-name_name.txt");
  EXPECT_EQ(word("$UNSET|${UNSET}|"), "||");
  EXPECT_EQ(word("a$ b$/"), "a$ b$/") << "no name: the dollar stays";
  EXPECT_EQ(word("x$-y"), "xy") << "a special parameter, as BuildKit: unset";
  EXPECT_EQ(word("cost: $5"), "cost: ") << "a positional parameter, as BuildKit: unset";
}

TEST(Expand, DefaultsAndAlternatives) {
  EXPECT_EQ(word("${UNSET:-def}/${EMPTY:-def}/${N:-def}"), "def/def/name");
  EXPECT_EQ(word("${UNSET-def}/${EMPTY-def}"), "def/");
  EXPECT_EQ(word("${UNSET:+alt}/${EMPTY:+alt}/${N:+alt}"), "//alt");
  EXPECT_EQ(word("${UNSET+alt}/${EMPTY+alt}"), "/alt");
  EXPECT_EQ(word("${UNSET:-${N}}"), "name") << "nested";
}

TEST(Expand, RequiredVariables) {
  EXPECT_EQ(error_of("${UNSET:?give it}"), "UNSET: give it");
  EXPECT_EQ(word("${EMPTY?msg}"), "");
  EXPECT_NE(error_of("${EMPTY:?}"), "");
}

TEST(Expand, PatternRemovalAndReplacement) {
  EXPECT_EQ(word("${P#*/}"), "usr/local/bin");
  EXPECT_EQ(word("${P##*/}"), "bin");
  EXPECT_EQ(word("${F%.*}"), "a.tar");
  EXPECT_EQ(word("${F%%.*}"), "a");
  EXPECT_EQ(word("${P/local/opt}"), "/usr/opt/bin");
  EXPECT_EQ(word("${F//a/A}"), "A.tAr.gz");
}

TEST(Expand, QuotesAndEscapes) {
  EXPECT_EQ(word("'$N' \"$N\" \\$N"), "$N name $N");
  EXPECT_EQ(word("\"a \\\"q\\\" b\""), "a \"q\" b");
  EXPECT_EQ(word("`$N ``x", '`'), "$N `x");
}

TEST(Expand, WordsSplitOutsideQuotesOnly) {
  auto words = expand_words("a \"b c\" $A '$A' /dst/", kVars, '\\');
  ASSERT_TRUE(words);
  EXPECT_EQ(words->words, (std::vector<std::string>{"a", "b c", "x y", "$A", "/dst/"}));
}

TEST(Expand, RecordsTheNamesItLookedUp) {
  auto expanded = expand_word("$N ${UNSET:-x} '$QUOTED'", kVars, '\\');
  ASSERT_TRUE(expanded);
  EXPECT_TRUE(expanded->used.contains("N"));
  EXPECT_TRUE(expanded->used.contains("UNSET"));
  EXPECT_FALSE(expanded->used.contains("QUOTED"));
}

TEST(Expand, SyntaxErrors) {
  EXPECT_NE(error_of("${N"), "");
  EXPECT_NE(error_of("${}"), "");
  EXPECT_NE(error_of("\"unclosed"), "");
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "${U:-";
  EXPECT_NE(error_of(deep + "x" + std::string(200, '}')), "") << "nesting has a limit";
}

}  // namespace
}  // namespace quai::build
