// Turning a Dockerfile's text into logical lines: parser directives, comments, line
// continuations and heredoc bodies (build/internal/lines.h).

#include "build/internal/lines.h"

#include <algorithm>

#include "base/strings.h"

namespace quai::build::internal {
namespace {

constexpr size_t kMaxLineLength = 1 << 20;
const char* const kDirectives[] = {"syntax", "escape", "check"};

bool is_blank(std::string_view line) { return trim(line).empty(); }
bool is_comment(std::string_view line) {
  auto text = trim(line);
  return !text.empty() && text.front() == '#';
}

// "# name=value" with a known name, or nothing.
std::optional<Directive> directive_of(std::string_view line, int number) {
  auto text = trim(line);
  if (!text.starts_with('#')) return std::nullopt;
  text = trim(text.substr(1));
  size_t equals = text.find('=');
  if (equals == std::string_view::npos) return std::nullopt;
  std::string name = to_lower(trim(text.substr(0, equals)));
  if (std::ranges::find(kDirectives, name) == std::end(kDirectives)) return std::nullopt;
  return Directive{name, std::string(trim(text.substr(equals + 1))), number};
}

// Ends in the escape character, spaces after it allowed: continues on the next line.
bool continues(std::string_view line, char escape) {
  auto end = line.find_last_not_of(" \t");
  return end != std::string_view::npos && line[end] == escape;
}

std::string without_continuation(std::string_view line, char escape) {
  auto end = line.find_last_not_of(" \t");
  (void)escape;
  return std::string(line.substr(0, end));
}

}  // namespace

Result<SourceLines> split_lines(std::string_view text, std::string_view file_name) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  SourceLines out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.size() > kMaxLineLength)
      return fail(Errc::InvalidArgument, "{}:{}: line longer than {} bytes", file_name,
                  out.lines.size() + 1, kMaxLineLength);
    out.lines.emplace_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  if (!out.lines.empty() && out.lines.back().empty()) out.lines.pop_back();
  return out;
}

Result<size_t> read_directives(const SourceLines& source, std::string_view file_name,
                               Dockerfile& file) {
  size_t i = 0;
  for (; i < source.lines.size(); ++i) {
    auto directive = directive_of(source.lines[i], static_cast<int>(i + 1));
    if (!directive) break;
    for (const auto& seen : file.directives) {
      if (seen.name == directive->name)
        return fail(Errc::InvalidArgument, "{}:{}: only one {} parser directive can be used",
                    file_name, i + 1, directive->name);
    }
    if (directive->name == "escape") {
      if (directive->value != "\\" && directive->value != "`")
        return fail(Errc::InvalidArgument,
                    "{}:{}: invalid escape token '{}' does not match ` or \\", file_name, i + 1,
                    directive->value);
      file.escape = directive->value[0];
    }
    file.directives.push_back(std::move(*directive));
  }
  return i;
}

std::optional<LogicalLine> next_logical_line(const SourceLines& source, size_t& at, char escape) {
  while (at < source.lines.size() && (is_blank(source.lines[at]) || is_comment(source.lines[at])))
    ++at;
  if (at >= source.lines.size()) return std::nullopt;
  LogicalLine line;
  line.first = static_cast<int>(at + 1);
  std::string_view current = source.lines[at];
  while (continues(current, escape)) {
    line.text += without_continuation(current, escape);
    ++at;
    // Inside a continuation, comment lines and empty lines are dropped, as Docker does.
    while (at < source.lines.size() && (is_comment(source.lines[at]) || is_blank(source.lines[at])))
      ++at;
    if (at >= source.lines.size()) {
      current = {};
      break;
    }
    current = source.lines[at];
  }
  line.text += current;
  line.last = static_cast<int>(std::min(at, source.lines.size() - 1) + 1);
  at = std::min(at + 1, source.lines.size());
  return line;
}

Result<std::string> heredoc_body(const SourceLines& source, size_t& at, const Heredoc& heredoc,
                                 int opened_on, std::string_view file_name) {
  std::string body;
  for (; at < source.lines.size(); ++at) {
    std::string_view line = source.lines[at];
    if (heredoc.chomp) line.remove_prefix(std::min(line.find_first_not_of('\t'), line.size()));
    if (line == heredoc.name) {
      ++at;
      return body;
    }
    body.append(line);
    body += '\n';
  }
  return fail(Errc::InvalidArgument, "{}:{}: unterminated heredoc {} (opened on line {})",
              file_name, opened_on, heredoc.name, opened_on);
}

}  // namespace quai::build::internal
