#pragma once
// The Dockerfile language, parsed: parser directives, instructions with their flags and
// arguments, heredocs, ONBUILD triggers. Variables are not expanded here (the builder
// expands each instruction with the variables in scope when it runs, see build/expand.h).
//
// Arguments follow the shape of BuildKit's parser, so that --print-ast output can be
// compared line by line with `buildctl debug dump-parsetree`-style dumps:
//   RUN, CMD, ENTRYPOINT, SHELL   exec form: the JSON array's strings (json_form = true);
//                                 shell form: one string, the rest of the line
//   COPY, ADD, VOLUME             exec form: the array's strings; else whitespace-split words
//   FROM, EXPOSE                  whitespace-split words
//   ENV, LABEL                    name, value, name, value, …  (`ENV A b c` → "A", "b c")
//   ARG                           words as written: "A", "B=x"
//   USER, WORKDIR, STOPSIGNAL,
//   MAINTAINER                    one string
//   HEALTHCHECK                   "NONE", or "CMD" then the command as RUN's args
//   ONBUILD                       no args; the trigger in `trigger`
// Words keep their quotes and escapes (`ENV A="x y"` → "A", "\"x y\""): removing them is
// expansion's job, with the escape character of the file.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace quai::build {

struct Heredoc {
  std::string name;     // the delimiter word, unquoted: EOF
  std::string content;  // the body, each line ending in '\n'; leading tabs gone for <<-
  bool expand = true;   // false when the delimiter was quoted (<<"EOF", <<'EOF')
  bool chomp = false;   // <<-: leading tabs were stripped
};

struct Instruction {
  std::string keyword;   // lower case: "run", "copy", …
  int line = 0;          // 1-based first line
  int end_line = 0;      // last line, continuations and heredoc bodies included
  std::string original;  // as written, continuation lines joined with the escapes and line
                         // breaks removed (comment lines inside dropped); history's created_by
  std::vector<std::string> flags;  // as written before the arguments: "--from=build", "--link"
  std::vector<std::string> args;   // see the table above
  bool json_form = false;
  std::vector<Heredoc> heredocs;         // RUN, COPY, ADD: in the order they were opened
  std::shared_ptr<Instruction> trigger;  // ONBUILD's instruction

  /// The values of flag `--name` (several for --mount, --exclude). A bare boolean flag
  /// (`--link`) gives "true".
  std::vector<std::string> flag_values(std::string_view name) const;
  /// The last value of `--name`, if given.
  std::optional<std::string> flag(std::string_view name) const;
};

struct Directive {
  std::string name;  // lower case: syntax, escape, check
  std::string value;
  int line = 0;
};

struct Dockerfile {
  std::string file_name;  // as the user named it, for errors: "Dockerfile", "ci/Dockerfile"
  std::vector<Directive> directives;
  char escape = '\\';
  std::vector<Instruction> instructions;  // in order; stages are split by the builder
};

/// Parses a Dockerfile. Errors are InvalidArgument, their message starts with
/// "<file_name>:<line>: " and says what was expected: "unknown instruction: FOO",
/// "unterminated heredoc EOF (opened on line 3)", "RUN: unknown flag: --foo",
/// "ENV must have two arguments", "file with no instructions" (no line), …
Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view file_name);

/// The parse tree, one instruction per line, in BuildKit's Node.Dump form:
///   (from "debian" "AS" "build")
///   (copy ["--from=build" "--chmod=755"] "/out" "/usr/bin/")
///   (onbuild (run "make"))
/// with heredocs shown after the line as indented `<<NAME` … blocks (see dockerfile.cc).
std::string dump_ast(const Dockerfile& dockerfile);

}  // namespace quai::build
