// The parser as a Dockerfile author sees it: what each form becomes, and where it says a
// file is wrong. The files in tests/fixtures/dockerfile-parse are compared whole with
// their expected parse trees (NAME.ast, the form of BuildKit's dump).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "build/dockerfile.h"

namespace quai::build {
namespace {

Dockerfile parse(std::string_view text) {
  auto parsed = parse_dockerfile(text, "Dockerfile");
  EXPECT_TRUE(parsed) << parsed.error().message();
  return parsed ? *parsed : Dockerfile{};
}

std::string error_of(std::string_view text) {
  auto parsed = parse_dockerfile(text, "Dockerfile");
  EXPECT_FALSE(parsed) << text;
  return parsed ? "" : parsed.error().message();
}

using Args = std::vector<std::string>;

TEST(Dockerfile, KeywordsAreCaseInsensitiveAndCommentsSkipped) {
  auto file = parse("# a comment\nfrom busybox\n  # indented comment\nRun echo hi\n");
  ASSERT_EQ(file.instructions.size(), 2u);
  EXPECT_EQ(file.instructions[0].keyword, "from");
  EXPECT_EQ(file.instructions[1].keyword, "run");
  EXPECT_EQ(file.instructions[1].line, 4);
  EXPECT_EQ(file.instructions[1].args, Args{"echo hi"});
}

TEST(Dockerfile, ContinuationsJoinLinesAndSkipCommentsInside) {
  auto file = parse("FROM busybox\nRUN echo a \\\n# dropped\n    b \\\n\n  c\nCMD x\n");
  const auto& run = file.instructions[1];
  EXPECT_EQ(run.args, Args{"echo a     b   c"});
  EXPECT_EQ(run.line, 2);
  EXPECT_EQ(run.end_line, 6);
  EXPECT_EQ(file.instructions[2].line, 7);
}

TEST(Dockerfile, EscapeDirectiveChangesTheContinuationCharacter) {
  auto file = parse("# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo done\n");
  EXPECT_EQ(file.escape, '`');
  ASSERT_EQ(file.directives.size(), 1u);
  EXPECT_EQ(file.instructions[1].args, Args{"dir c:\\   && echo done"});
}

TEST(Dockerfile, DirectivesOnlyAtTheTop) {
  auto file = parse("# syntax=docker/dockerfile:1\n# check=skip=all\nFROM busybox\n# escape=`\n");
  ASSERT_EQ(file.directives.size(), 2u);
  EXPECT_EQ(file.directives[0].name, "syntax");
  EXPECT_EQ(file.directives[1].value, "skip=all");
  EXPECT_EQ(file.escape, '\\') << "a directive after an instruction is a comment";
}

TEST(Dockerfile, ExecFormOnlyForAWellFormedArray) {
  auto file = parse(
      "FROM busybox\nCMD [\"a\", \"b c\"]\nRUN [ -f /x ] && echo shell\nENTRYPOINT []\n"
      "SHELL [\"/bin/bash\", \"-c\"]\n");
  EXPECT_TRUE(file.instructions[1].json_form);
  EXPECT_EQ(file.instructions[1].args, (Args{"a", "b c"}));
  EXPECT_FALSE(file.instructions[2].json_form) << "[ followed by a space is the test command";
  EXPECT_TRUE(file.instructions[3].json_form);
  EXPECT_TRUE(file.instructions[3].args.empty());
  EXPECT_TRUE(error_of("FROM busybox\nCMD [\"a\", b]\n")
                  .starts_with("Dockerfile:2: CMD: invalid JSON array"));
}

TEST(Dockerfile, EnvAndLabelPairsAndTheLegacyForm) {
  auto file = parse(
      "FROM busybox\nENV A=1 B=\"two words\" C=three\\ words\nENV LEGACY value with spaces\n"
      "LABEL \"com.example\"=x y=z\n");
  EXPECT_EQ(file.instructions[1].args,
            (Args{"A", "1", "B", "\"two words\"", "C", "three\\ words"}));
  EXPECT_EQ(file.instructions[2].args, (Args{"LEGACY", "value with spaces"}));
  EXPECT_EQ(file.instructions[3].args, (Args{"\"com.example\"", "x", "y", "z"}));
  EXPECT_EQ(error_of("FROM busybox\nENV ONLYNAME\n"), "Dockerfile:2: ENV must have two arguments");
}

TEST(Dockerfile, FlagsBeforeArguments) {
  auto file = parse(
      "FROM --platform=linux/amd64 busybox AS build\n"
      "COPY --from=build --chown=1:2 --chmod=755 --link --exclude=*.o a b /dst/\n"
      "RUN --mount=type=cache,target=/c --mount=type=tmpfs,target=/t --network=none true\n");
  EXPECT_EQ(file.instructions[0].args, (Args{"busybox", "AS", "build"}));
  const auto& copy = file.instructions[1];
  EXPECT_EQ(copy.flag("from"), "build");
  EXPECT_EQ(copy.flag("link"), "true");
  EXPECT_EQ(copy.flag_values("exclude"), Args{"*.o"});
  EXPECT_EQ(copy.args, (Args{"a", "b", "/dst/"}));
  EXPECT_EQ(file.instructions[2].flag_values("mount").size(), 2u);
  EXPECT_EQ(file.instructions[2].flag("network"), "none");
  EXPECT_EQ(error_of("FROM busybox\nRUN --foo true\n"), "Dockerfile:2: RUN: unknown flag: --foo");
}

TEST(Dockerfile, HeredocsForRunAndCopy) {
  auto file = parse(
      "FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\n"
      "COPY <<A.txt <<\"B.txt\" /dst/\nfirst $HOME\nA.txt\nsecond $HOME\nB.txt\n"
      "RUN <<-EOT cat\n\tindented\n\tEOT\n");
  const auto& run = file.instructions[1];
  ASSERT_EQ(run.heredocs.size(), 1u);
  EXPECT_EQ(run.heredocs[0].content, "echo one\necho two\n");
  EXPECT_EQ(run.end_line, 5);
  const auto& copy = file.instructions[2];
  ASSERT_EQ(copy.heredocs.size(), 2u);
  EXPECT_EQ(copy.heredocs[0].name, "A.txt");
  EXPECT_TRUE(copy.heredocs[0].expand);
  EXPECT_FALSE(copy.heredocs[1].expand) << "a quoted delimiter turns expansion off";
  EXPECT_EQ(copy.heredocs[1].content, "second $HOME\n");
  EXPECT_EQ(file.instructions[3].heredocs[0].content, "indented\n");
  EXPECT_EQ(error_of("FROM busybox\nRUN <<EOF\necho never closed\n"),
            "Dockerfile:2: unterminated heredoc EOF (opened on line 2)");
}

TEST(Dockerfile, OnbuildHoldsATrigger) {
  auto file = parse("FROM busybox\nONBUILD RUN echo later\nONBUILD COPY . /app\n");
  ASSERT_TRUE(file.instructions[1].trigger);
  EXPECT_EQ(file.instructions[1].trigger->keyword, "run");
  EXPECT_EQ(file.instructions[2].trigger->args, (Args{".", "/app"}));
  EXPECT_NE(error_of("FROM busybox\nONBUILD ONBUILD RUN x\n"), "");
  EXPECT_NE(error_of("FROM busybox\nONBUILD FROM debian\n"), "");
}

TEST(Dockerfile, HealthcheckForms) {
  auto file = parse(
      "FROM busybox\nHEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost\n"
      "HEALTHCHECK NONE\n");
  EXPECT_EQ(file.instructions[1].args, (Args{"CMD", "wget -q localhost"}));
  EXPECT_EQ(file.instructions[1].flag("interval"), "5s");
  EXPECT_EQ(file.instructions[2].args, Args{"NONE"});
}

TEST(Dockerfile, ErrorsNameTheFileTheLineAndWhatWasExpected) {
  EXPECT_EQ(error_of("FROM busybox\nFOO bar\n"), "Dockerfile:2: unknown instruction: FOO");
  EXPECT_EQ(error_of("\n# only a comment\n"), "Dockerfile: file with no instructions");
  EXPECT_NE(error_of("FROM\n").find("Dockerfile:1: FROM"), std::string::npos);
  EXPECT_NE(error_of("FROM a b\n").find("Dockerfile:1: FROM"), std::string::npos);
  auto named = parse_dockerfile("FROM x\nWORKDIR\n", "ci/Dockerfile.test");
  ASSERT_FALSE(named);
  EXPECT_TRUE(named.error().message().starts_with("ci/Dockerfile.test:2: WORKDIR"))
      << named.error().message();
}

// Each NAME.Dockerfile parses to the tree in NAME.ast.
TEST(Dockerfile, FixturesGiveTheirParseTrees) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(QUAI_SOURCE_DIR) / "tests/fixtures/dockerfile-parse";
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".Dockerfile") continue;
    auto read = [](const fs::path& p) {
      std::ostringstream text;
      text << std::ifstream(p).rdbuf();
      return text.str();
    };
    auto parsed = parse_dockerfile(read(entry.path()), entry.path().filename().string());
    ASSERT_TRUE(parsed) << parsed.error().message();
    fs::path expected = entry.path();
    expected.replace_extension(".ast");
    EXPECT_EQ(dump_ast(*parsed), read(expected)) << entry.path();
    ++compared;
  }
  EXPECT_GE(compared, 3);
}

}  // namespace
}  // namespace quai::build
