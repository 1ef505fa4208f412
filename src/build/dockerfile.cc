// The Dockerfile parser (build/dockerfile.h): instructions, flags, arguments, heredocs.

#include "build/dockerfile.h"

#include <algorithm>
#include <map>

#include "base/json.h"
#include "base/strings.h"
#include "build/internal/lines.h"

namespace quai::build {
namespace {

using internal::LogicalLine;

enum class Shape { Command, List, Words, Pairs, Arg, Single, Healthcheck, Onbuild, Shell };

struct Rule {
  Shape shape;
  std::vector<std::string_view> flags;
  bool heredocs = false;
};

const std::map<std::string, Rule, std::less<>>& rules() {
  static const std::map<std::string, Rule, std::less<>> table = {
      {"from", {Shape::Words, {"platform"}}},
      {"run", {Shape::Command, {"mount", "network", "security"}, true}},
      {"cmd", {Shape::Command, {}}},
      {"entrypoint", {Shape::Command, {}}},
      {"shell", {Shape::Shell, {}}},
      {"copy", {Shape::List, {"from", "chown", "chmod", "link", "parents", "exclude"}, true}},
      {"add",
       {Shape::List, {"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude"}, true}},
      {"volume", {Shape::List, {}}},
      {"expose", {Shape::Words, {}}},
      {"env", {Shape::Pairs, {}}},
      {"label", {Shape::Pairs, {}}},
      {"arg", {Shape::Arg, {}}},
      {"user", {Shape::Single, {}}},
      {"workdir", {Shape::Single, {}}},
      {"stopsignal", {Shape::Single, {}}},
      {"maintainer", {Shape::Single, {}}},
      {"healthcheck",
       {Shape::Healthcheck, {"interval", "timeout", "start-period", "start-interval", "retries"}}},
      {"onbuild", {Shape::Onbuild, {}}},
  };
  return table;
}

struct Context {
  std::string_view file_name;
  char escape;
  int line;
};

template <class... Args>
std::unexpected<Error> bad(const Context& at, fmt::format_string<Args...> format, Args&&... args) {
  return fail(Errc::InvalidArgument, "{}:{}: {}", at.file_name, at.line,
              fmt::format(format, std::forward<Args>(args)...));
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::vector<std::string> whitespace_words(std::string_view text) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) words.emplace_back(text.substr(start, i - start));
  }
  return words;
}

// Words split on whitespace outside quotes; quotes and escapes kept (ENV, LABEL, ARG).
Result<std::vector<std::string>> quoted_words(std::string_view text, const Context& at) {
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == at.escape && i + 1 < text.size() && quote != '\'') {
      word += c;
      word += text[++i];
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
      word += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      word += c;
    } else if (is_space(c)) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word += c;
    }
  }
  if (quote) return bad(at, "unterminated quote ({}) in \"{}\"", quote, text);
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

// `["a", "b"]`: meant as JSON when a quote follows the bracket. Anything else starting
// with `[` is a shell line (`RUN [ -f x ] && …`).
bool looks_like_json(std::string_view rest) {
  if (!rest.starts_with('[')) return false;
  auto next = rest.find_first_not_of(" \t", 1);
  return next != std::string_view::npos && (rest[next] == '"' || rest[next] == ']');
}

Result<std::vector<std::string>> json_strings(std::string_view rest, std::string_view keyword,
                                              const Context& at) {
  auto parsed = Json::parse(rest, nullptr, false);
  if (parsed.is_discarded()) return bad(at, "{}: invalid JSON array: {}", to_upper(keyword), rest);
  if (!parsed.is_array()) return bad(at, "{}: expected a JSON array", to_upper(keyword));
  std::vector<std::string> out;
  for (const auto& item : parsed) {
    if (!item.is_string())
      return bad(at, "{}: invalid JSON array: every element must be a string", to_upper(keyword));
    out.push_back(item.get<std::string>());
  }
  return out;
}

Status take_flags(std::string_view& rest, const Rule& rule, std::string_view keyword,
                  const Context& at, Instruction& out) {
  while (rest.starts_with("--")) {
    size_t end = rest.find_first_of(" \t");
    std::string_view word = rest.substr(0, end);
    std::string_view name = word.substr(
        2, word.find('=') == std::string_view::npos ? std::string_view::npos : word.find('=') - 2);
    if (name.empty()) return bad(at, "{}: flag \"{}\" has no name", to_upper(keyword), word);
    if (std::ranges::find(rule.flags, name) == rule.flags.end())
      return bad(at, "{}: unknown flag: --{}", to_upper(keyword), name);
    out.flags.emplace_back(word);
    rest = end == std::string_view::npos ? std::string_view() : trim(rest.substr(end));
  }
  return ok();
}

// `<<EOF`, `<<-EOF`, `<<"EOF"` words of a RUN, COPY or ADD line, outside quotes.
std::vector<Heredoc> heredoc_markers(std::string_view rest, char escape) {
  std::vector<Heredoc> found;
  char quote = 0;
  for (size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == escape) {
      ++i;
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      continue;
    }
    if (c != '<' || rest.substr(i, 2) != "<<" || rest.substr(i, 3) == "<<<") continue;
    size_t j = i + 2;
    Heredoc heredoc;
    if (j < rest.size() && rest[j] == '-') {
      heredoc.chomp = true;
      ++j;
    }
    char delimiter_quote = 0;
    if (j < rest.size() && (rest[j] == '"' || rest[j] == '\'')) delimiter_quote = rest[j++];
    // A word, as the shell reads one: `<<robots.txt` names a file to COPY.
    size_t start = j;
    auto in_name = [&](char n) {
      if (delimiter_quote) return n != delimiter_quote;
      return !std::isspace(static_cast<unsigned char>(n)) &&
             std::string_view("<>|;&()\"'").find(n) == std::string_view::npos;
    };
    while (j < rest.size() && in_name(rest[j])) ++j;
    if (j == start) continue;
    heredoc.name = std::string(rest.substr(start, j - start));
    if (delimiter_quote) {
      if (j >= rest.size() || rest[j] != delimiter_quote) continue;
      ++j;
      heredoc.expand = false;
    }
    found.push_back(std::move(heredoc));
    i = j - 1;
  }
  return found;
}

Status parse_pairs(std::string_view rest, std::string_view keyword, const Context& at,
                   Instruction& out) {
  auto words = TRY(quoted_words(rest, at));
  if (words.empty()) return bad(at, "{} requires at least one argument", to_upper(keyword));
  if (words[0].find('=') == std::string::npos) {
    // The legacy form: `ENV NAME the rest is the value`.
    if (words.size() < 2) return bad(at, "{} must have two arguments", to_upper(keyword));
    auto value_start = rest.find_first_of(" \t");
    out.args = {words[0], std::string(trim(rest.substr(value_start)))};
    return ok();
  }
  for (const auto& word : words) {
    size_t equals = word.find('=');
    if (equals == std::string::npos)
      return bad(at, "{}: can't find = in \"{}\"; it must be of the form: name=value",
                 to_upper(keyword), word);
    if (equals == 0) return bad(at, "{} names can not be blank", to_upper(keyword));
    out.args.push_back(word.substr(0, equals));
    out.args.push_back(word.substr(equals + 1));
  }
  return ok();
}

Status parse_command(std::string_view rest, std::string_view keyword, const Context& at,
                     Instruction& out) {
  if (looks_like_json(rest)) {
    out.args = TRY(json_strings(rest, keyword, at));
    out.json_form = true;
    if (out.args.empty() && keyword == "run") return bad(at, "RUN requires at least one argument");
    return ok();
  }
  if (rest.empty()) return bad(at, "{} requires at least one argument", to_upper(keyword));
  out.args = {std::string(rest)};
  return ok();
}

Status parse_arguments(std::string_view rest, const Rule& rule, const std::string& keyword,
                       const Context& at, Instruction& out);

Status parse_healthcheck(std::string_view rest, const Context& at, Instruction& out) {
  auto words = whitespace_words(rest);
  if (words.empty()) return bad(at, "HEALTHCHECK requires an argument");
  std::string type = to_upper(words[0]);
  if (type == "NONE") {
    if (words.size() > 1) return bad(at, "HEALTHCHECK NONE takes no arguments");
    out.args = {"NONE"};
    return ok();
  }
  if (type != "CMD") return bad(at, "unknown type \"{}\" in HEALTHCHECK (try CMD)", words[0]);
  Instruction command;
  TRY(parse_command(trim(rest.substr(words[0].size())), "healthcheck", at, command));
  out.args = {"CMD"};
  out.args.insert(out.args.end(), command.args.begin(), command.args.end());
  out.json_form = command.json_form;
  return ok();
}

Result<Instruction> parse_instruction(std::string_view text, const Context& at, bool in_onbuild) {
  text = trim(text);
  size_t end = text.find_first_of(" \t");
  std::string word(text.substr(0, end));
  std::string keyword = to_lower(word);
  std::string_view rest =
      end == std::string_view::npos ? std::string_view() : trim(text.substr(end));
  auto rule = rules().find(keyword);
  if (rule == rules().end()) return bad(at, "unknown instruction: {}", to_upper(word));
  if (in_onbuild && (keyword == "onbuild" || keyword == "from" || keyword == "maintainer"))
    return bad(at, "ONBUILD {} isn't allowed as an ONBUILD trigger", to_upper(keyword));
  Instruction out;
  out.keyword = keyword;
  out.line = at.line;
  out.original = std::string(text);
  TRY(take_flags(rest, rule->second, keyword, at, out));
  TRY(parse_arguments(rest, rule->second, keyword, at, out));
  return out;
}

Status parse_arguments(std::string_view rest, const Rule& rule, const std::string& keyword,
                       const Context& at, Instruction& out) {
  std::string upper = to_upper(keyword);
  switch (rule.shape) {
    case Shape::Command:
      return parse_command(rest, keyword, at, out);
    case Shape::Shell:
      if (!looks_like_json(rest)) return bad(at, "SHELL requires the arguments to be in JSON form");
      out.args = TRY(json_strings(rest, keyword, at));
      out.json_form = true;
      if (out.args.empty()) return bad(at, "SHELL requires at least one argument");
      return ok();
    case Shape::List:
      if (looks_like_json(rest)) {
        out.args = TRY(json_strings(rest, keyword, at));
        out.json_form = true;
      } else {
        out.args = whitespace_words(rest);
      }
      if (keyword != "volume" && out.args.size() < 2)
        return bad(at, "{} requires at least two arguments, but only {} provided", upper,
                   out.args.size());
      if (keyword == "volume" && out.args.empty())
        return bad(at, "VOLUME requires at least one argument");
      return ok();
    case Shape::Words:
      out.args = whitespace_words(rest);
      if (out.args.empty()) return bad(at, "{} requires at least one argument", upper);
      if (keyword == "from" && out.args.size() != 1 && out.args.size() != 3)
        return bad(at, "FROM requires either one or three arguments");
      if (keyword == "from" && out.args.size() == 3 && to_lower(out.args[1]) != "as")
        return bad(at, "FROM: expected \"AS\" before the stage name, found \"{}\"", out.args[1]);
      return ok();
    case Shape::Pairs:
      return parse_pairs(rest, keyword, at, out);
    case Shape::Arg:
      out.args = TRY(quoted_words(rest, at));
      if (out.args.empty()) return bad(at, "ARG requires at least one argument");
      return ok();
    case Shape::Single:
      if (rest.empty()) return bad(at, "{} requires exactly one argument", upper);
      out.args = {std::string(rest)};
      return ok();
    case Shape::Healthcheck:
      return parse_healthcheck(rest, at, out);
    case Shape::Onbuild: {
      if (rest.empty()) return bad(at, "ONBUILD requires at least one argument");
      auto trigger = TRY(parse_instruction(rest, at, true));
      out.trigger = std::make_shared<Instruction>(std::move(trigger));
      return ok();
    }
  }
  return ok();
}

}  // namespace

std::vector<std::string> Instruction::flag_values(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& flag : flags) {
    std::string_view text = flag;
    text.remove_prefix(2);
    if (text == name) {
      values.emplace_back("true");
    } else if (text.starts_with(name) && text.size() > name.size() && text[name.size()] == '=') {
      values.emplace_back(text.substr(name.size() + 1));
    }
  }
  return values;
}

std::optional<std::string> Instruction::flag(std::string_view name) const {
  auto values = flag_values(name);
  if (values.empty()) return std::nullopt;
  return values.back();
}

Result<Dockerfile> parse_dockerfile(std::string_view text, std::string_view file_name) {
  Dockerfile file;
  file.file_name = std::string(file_name);
  auto source = TRY(internal::split_lines(text, file_name));
  size_t at = TRY(internal::read_directives(source, file_name, file));
  while (auto line = internal::next_logical_line(source, at, file.escape)) {
    Context context{file_name, file.escape, line->first};
    auto instruction = TRY(parse_instruction(line->text, context, false));
    instruction.end_line = line->last;
    const Rule& rule = rules().at(instruction.keyword);
    if (rule.heredocs && !instruction.json_form) {
      for (auto& heredoc : heredoc_markers(line->text, file.escape)) {
        heredoc.content = TRY(internal::heredoc_body(source, at, heredoc, line->first, file_name));
        instruction.heredocs.push_back(std::move(heredoc));
      }
      instruction.end_line = static_cast<int>(at);
    }
    file.instructions.push_back(std::move(instruction));
  }
  if (file.instructions.empty())
    return fail(Errc::InvalidArgument, "{}: file with no instructions", file_name);
  return file;
}

}  // namespace quai::build
