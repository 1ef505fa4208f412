// Docker's variable expansion (build/expand.h): a small lexer over one instruction
// argument, not a shell.

#include "build/expand.h"

#include <fnmatch.h>

#include <cctype>

namespace quai::build {
namespace {

constexpr int kMaxDepth = 64;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_special_parameter(char c) {
  return c == '@' || c == '*' || c == '#' || c == '?' || c == '-' || c == '$' || c == '!' ||
         c == '0';
}

class Lexer {
 public:
  Lexer(std::string_view text, const Variables& variables, char escape)
      : text_(text), variables_(variables), escape_(escape) {}

  Result<Expanded> run(bool split) {
    Expanded out;
    std::string word;
    bool started = false;  // "" makes an empty word
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (split && is_space(c)) {
        ++pos_;
        if (started) out.words.push_back(std::move(word));
        word.clear();
        started = false;
        continue;
      }
      TRY(one_unit(word, ""));
      started = true;
    }
    if (started || !split) out.words.push_back(std::move(word));
    out.used = std::move(used_);
    return out;
  }

 private:
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool at_end() const { return pos_ >= text_.size(); }

  // One piece of a word at pos_: an escaped character, a quoted string, a variable or a
  // plain character. `stops` are characters that end the word being read (`}` inside
  // ${…}) and are never consumed here.
  Status one_unit(std::string& word, std::string_view stops) {
    char c = text_[pos_];
    if (c == escape_) {
      ++pos_;
      if (at_end()) {
        word += escape_;  // a trailing escape stays as it is
      } else {
        word += text_[pos_++];
      }
      return ok();
    }
    if (c == '\'') return single_quoted(word);
    if (c == '"') return double_quoted(word);
    if (c == '$') return dollar(word);
    (void)stops;
    word += c;
    ++pos_;
    return ok();
  }

  Status single_quoted(std::string& word) {
    size_t close = text_.find('\'', pos_ + 1);
    if (close == std::string_view::npos)
      return fail(Errc::InvalidArgument,
                  "unexpected end of statement while looking for matching single-quote");
    word.append(text_.substr(pos_ + 1, close - pos_ - 1));
    pos_ = close + 1;
    return ok();
  }

  Status double_quoted(std::string& word) {
    ++pos_;
    while (!at_end()) {
      char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return ok();
      }
      if (c == '$') {
        TRY(dollar(word));
        continue;
      }
      if (c == escape_ && pos_ + 1 < text_.size()) {
        char next = text_[pos_ + 1];
        // Inside double quotes the escape only escapes a quote, a dollar and itself.
        if (next == '"' || next == '$' || next == escape_) {
          word += next;
          pos_ += 2;
          continue;
        }
      }
      word += c;
      ++pos_;
    }
    return fail(Errc::InvalidArgument,
                "unexpected end of statement while looking for matching double-quote");
  }

  std::string name() {
    std::string out;
    if (std::isdigit(static_cast<unsigned char>(peek()))) {
      while (std::isdigit(static_cast<unsigned char>(peek()))) out += text_[pos_++];
      return out;
    }
    if (is_special_parameter(peek())) return std::string(1, text_[pos_++]);
    while (is_name_char(peek())) out += text_[pos_++];
    return out;
  }

  const std::string* lookup(const std::string& variable) {
    used_.insert(variable);
    auto found = variables_.find(variable);
    return found == variables_.end() ? nullptr : &found->second;
  }

  Status dollar(std::string& word) {
    ++pos_;
    if (peek() == '{') return braced(word);
    std::string variable = name();
    if (variable.empty()) {
      word += '$';
      return ok();
    }
    if (const std::string* value = lookup(variable)) word += *value;
    return ok();
  }

  // The word part of ${VAR:-word}: expanded, up to the closing brace (or `until`).
  Result<std::string> inner_word(std::string_view until) {
    if (++depth_ > kMaxDepth) return fail(Errc::InvalidArgument, "substitutions nested too deeply");
    std::string out;
    while (!at_end() && until.find(peek()) == std::string_view::npos) TRY(one_unit(out, until));
    --depth_;
    if (at_end()) return fail(Errc::InvalidArgument, "syntax error: missing '}}'");
    return out;
  }

  Status braced(std::string& word) {
    ++pos_;  // {
    std::string variable = name();
    if (variable.empty()) return fail(Errc::InvalidArgument, "syntax error: bad substitution");
    const std::string* value = lookup(variable);
    char op = peek();
    if (op == '}') {
      ++pos_;
      if (value) word += *value;
      return ok();
    }
    bool colon = op == ':';
    if (colon) {
      ++pos_;
      op = peek();
      if (op != '-' && op != '+' && op != '?')
        return fail(Errc::InvalidArgument, "unsupported modifier ({}) in substitution", op);
    }
    if (op == '-' || op == '+' || op == '?') return default_forms(word, variable, value, colon, op);
    if (op == '#' || op == '%') return trim_forms(word, value, op);
    if (op == '/') return replace_forms(word, value);
    return fail(Errc::InvalidArgument, "unsupported modifier ({}) in substitution", op);
  }

  Status default_forms(std::string& word, const std::string& variable, const std::string* value,
                       bool colon, char op) {
    ++pos_;
    std::string alternative = TRY(inner_word("}"));
    ++pos_;  // }
    bool set = value != nullptr && (!colon || !value->empty());
    if (op == '-') {
      word += set ? *value : alternative;
    } else if (op == '+') {
      if (set) word += alternative;
    } else if (!set) {
      if (!alternative.empty()) return fail(Errc::InvalidArgument, "{}: {}", variable, alternative);
      return fail(Errc::InvalidArgument, "{}: is not allowed to be {}", variable,
                  value == nullptr ? "unset" : "empty");
    } else {
      word += *value;
    }
    return ok();
  }

  static bool matches(const std::string& pattern, const std::string& text) {
    return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
  }

  Status trim_forms(std::string& word, const std::string* value, char op) {
    ++pos_;
    bool longest = peek() == op;
    if (longest) ++pos_;
    std::string pattern = TRY(inner_word("}"));
    ++pos_;
    std::string text = value ? *value : "";
    size_t n = text.size();
    std::string result = text;
    // Prefix (#) or suffix (%) lengths tried shortest first, or longest first for ## and %%.
    for (size_t i = 0; i <= n; ++i) {
      size_t length = longest ? n - i : i;
      std::string part = op == '#' ? text.substr(0, length) : text.substr(n - length);
      if (matches(pattern, part)) {
        result = op == '#' ? text.substr(length) : text.substr(0, n - length);
        break;
      }
    }
    word += result;
    return ok();
  }

  Status replace_forms(std::string& word, const std::string* value) {
    ++pos_;
    bool all = peek() == '/';
    if (all) ++pos_;
    std::string pattern = TRY(inner_word("/}"));
    std::string replacement;
    if (peek() == '/') {
      ++pos_;
      replacement = TRY(inner_word("}"));
    }
    ++pos_;
    std::string text = value ? *value : "";
    std::string result;
    size_t at = 0;
    while (at <= text.size()) {
      size_t length = 0;
      bool found = false;
      // The longest match starting here, as the shell takes it.
      for (size_t l = text.size() - at; l > 0 && !pattern.empty(); --l) {
        if (matches(pattern, text.substr(at, l))) {
          length = l;
          found = true;
          break;
        }
      }
      if (!found) {
        if (at < text.size()) result += text[at];
        ++at;
        continue;
      }
      result += replacement;
      at += length;
      if (!all) {
        result += text.substr(at);
        break;
      }
    }
    word += result;
    return ok();
  }

  std::string_view text_;
  const Variables& variables_;
  char escape_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::set<std::string, std::less<>> used_;
};

}  // namespace

Result<Expanded> expand_word(std::string_view text, const Variables& variables, char escape) {
  return Lexer(text, variables, escape).run(false);
}

Result<Expanded> expand_words(std::string_view text, const Variables& variables, char escape) {
  return Lexer(text, variables, escape).run(true);
}

}  // namespace quai::build
