// .dockerignore matching (build/ignore.h).

#include "build/ignore.h"

#include <fnmatch.h>

#include "base/strings.h"

namespace quai::build {
namespace {

std::vector<std::string> segments(std::string_view path) {
  std::vector<std::string> out;
  for (auto& part : split(path, '/')) {
    if (!part.empty()) out.push_back(std::move(part));
  }
  return out;
}

// Go's filepath.Clean for a relative pattern: "./a//b/../c/" → "a/c"; a leading '/' goes.
std::string clean(std::string_view pattern) {
  std::vector<std::string> parts;
  for (auto& part : split(pattern, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == ".." && !parts.empty() && parts.back() != "..") {
      parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  return parts.empty() ? "." : join(parts, "/");
}

// A '[' left open, or an escape at the end: Go's filepath.Match says ErrBadPattern.
bool well_formed(std::string_view pattern) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      if (++i >= pattern.size()) return false;
    } else if (pattern[i] == '[') {
      size_t close = pattern.find(']', i + 2);
      if (close == std::string_view::npos) return false;
      i = close;
    }
  }
  return true;
}

bool match_segments(const std::vector<std::string>& pattern, size_t p,
                    const std::vector<std::string>& path, size_t s, int budget) {
  if (--budget < 0) return false;  // hostile patterns with many ** cannot take forever
  if (p == pattern.size()) return s == path.size();
  if (pattern[p] == "**") {
    for (size_t skip = s; skip <= path.size(); ++skip) {
      if (match_segments(pattern, p + 1, path, skip, budget)) return true;
    }
    return false;
  }
  if (s == path.size()) return false;
  if (::fnmatch(pattern[p].c_str(), path[s].c_str(), 0) != 0) return false;
  return match_segments(pattern, p + 1, path, s + 1, budget);
}

// Could `pattern` match something below `dir` (dir's segments matched by its first ones)?
bool may_match_below(const std::vector<std::string>& pattern, const std::vector<std::string>& dir) {
  for (size_t i = 0; i < dir.size(); ++i) {
    if (i >= pattern.size()) return false;
    if (pattern[i] == "**") return true;
    if (::fnmatch(pattern[i].c_str(), dir[i].c_str(), 0) != 0) return false;
  }
  return true;
}

constexpr int kMatchBudget = 100000;

}  // namespace

Result<IgnoreMatcher> IgnoreMatcher::parse(std::string_view text, std::string_view file_name) {
  IgnoreMatcher matcher;
  int number = 0;
  for (const auto& raw : split(text, '\n')) {
    ++number;
    std::string_view line = trim(raw);
    if (line.empty() || line.starts_with('#')) continue;
    bool exception = line.starts_with('!');
    if (exception) line = trim(line.substr(1));
    if (line.empty())
      return fail(Errc::InvalidArgument, "{}:{}: illegal exclusion pattern: \"!\"", file_name,
                  number);
    std::string cleaned = clean(line);
    if (!well_formed(cleaned))
      return fail(Errc::InvalidArgument, "{}:{}: bad pattern \"{}\"", file_name, number, line);
    matcher.patterns_.push_back({cleaned, exception});
  }
  return matcher;
}

Result<IgnoreMatcher> IgnoreMatcher::from_patterns(const std::vector<std::string>& patterns) {
  return parse(join(patterns, "\n"), "--exclude");
}

bool IgnoreMatcher::excluded(std::string_view path) const {
  if (patterns_.empty()) return false;
  auto parts = segments(path);
  bool result = false;
  for (const auto& pattern : patterns_) {
    // Only a pattern that could change the answer is tried.
    if (pattern.exception != result) continue;
    auto pattern_parts = segments(pattern.text);
    bool matched = false;
    // The path itself or one of its parent directories.
    for (size_t length = parts.size(); length > 0 && !matched; --length) {
      std::vector<std::string> prefix(parts.begin(), parts.begin() + static_cast<long>(length));
      matched = match_segments(pattern_parts, 0, prefix, 0, kMatchBudget);
    }
    if (matched) result = !pattern.exception;
  }
  return result;
}

bool IgnoreMatcher::may_include_below(std::string_view dir) const {
  auto parts = segments(dir);
  for (const auto& pattern : patterns_) {
    if (pattern.exception && may_match_below(segments(pattern.text), parts)) return true;
  }
  return false;
}

}  // namespace quai::build
