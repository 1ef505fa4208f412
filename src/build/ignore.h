#pragma once
// .dockerignore patterns, with Docker's rules: one pattern a line, `#` comments, blank
// lines skipped; each pattern is cleaned as a path (`./a//b/` → `a/b`, a leading `/` is
// dropped); `*`, `?`, `[a-z]`, `[^a]` and `\` escapes as Go's filepath.Match (none of them
// matches '/'); `**` matches any number of directories (zero included); a leading `!`
// makes an exception; the last pattern that matches a path decides. A path is excluded
// when it, or one of its parent directories, is excluded (and not re-included later).
// COPY --exclude uses the same matcher.

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace quai::build {

class IgnoreMatcher {
 public:
  IgnoreMatcher() = default;
  /// Parses the text of a .dockerignore; errors name `file_name`:line ("bad pattern").
  static Result<IgnoreMatcher> parse(std::string_view text, std::string_view file_name);
  /// A matcher from patterns given one by one (COPY --exclude).
  static Result<IgnoreMatcher> from_patterns(const std::vector<std::string>& patterns);

  /// `path` is relative to the context root, '/'-separated, without "./" or a trailing '/'.
  bool excluded(std::string_view path) const;
  /// True when an exception could re-include something below the excluded directory
  /// `dir`, so a walker must still descend into it.
  bool may_include_below(std::string_view dir) const;
  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::string text;  // cleaned, without the '!'
    bool exception = false;
  };
  std::vector<Pattern> patterns_;
};

}  // namespace quai::build
