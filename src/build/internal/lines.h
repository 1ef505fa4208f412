#pragma once
// The Dockerfile parser's first pass: physical lines, parser directives, logical lines
// (continuations joined, comments inside dropped), heredoc bodies.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "build/dockerfile.h"

namespace quai::build::internal {

struct SourceLines {
  std::vector<std::string> lines;  // without line ends; a UTF-8 BOM dropped
};

struct LogicalLine {
  std::string text;  // continuations joined, escapes before the line ends removed
  int first = 0;     // 1-based
  int last = 0;
};

Result<SourceLines> split_lines(std::string_view text, std::string_view file_name);
/// Reads the directives at the top into `file` (escape sets file.escape); returns the
/// index of the first line after them.
Result<size_t> read_directives(const SourceLines& source, std::string_view file_name,
                               Dockerfile& file);
/// The next instruction's line from `at` on (blank and comment lines skipped), or none.
std::optional<LogicalLine> next_logical_line(const SourceLines& source, size_t& at, char escape);
/// The body of `heredoc`, from line `at` up to its delimiter line (consumed).
Result<std::string> heredoc_body(const SourceLines& source, size_t& at, const Heredoc& heredoc,
                                 int opened_on, std::string_view file_name);

}  // namespace quai::build::internal
