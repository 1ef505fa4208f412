#pragma once
// Variable substitution in Dockerfile words, as Docker does it (not a shell): $VAR,
// ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word}, ${VAR+word}, ${VAR:?message},
// ${VAR?message}, ${VAR#pat} ${VAR##pat} ${VAR%pat} ${VAR%%pat} ${VAR/pat/repl}
// ${VAR//pat/repl}; single quotes are literal, double quotes expand; the escape character
// (\ or `) escapes the next character; quotes are removed. An unset variable expands to "".

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace quai::build {

/// The variables in scope: a name present with "" is set (and empty); absent is unset.
using Variables = std::map<std::string, std::string, std::less<>>;

struct Expanded {
  std::vector<std::string> words;
  std::set<std::string, std::less<>> used;  // names looked up, set or not (for the cache key)
};

/// Expands `text` as one word: whitespace is kept, quotes and escapes removed.
/// InvalidArgument for a syntax error ("missing '}'", "bad substitution"), or the
/// message of ${VAR:?message} when VAR is unset or empty.
Result<Expanded> expand_word(std::string_view text, const Variables& variables, char escape);
/// Expands `text` and splits it on whitespace outside quotes, as for `COPY a "b c" /d/`
/// (variables' values are not split again: "$A" with A="x y" stays one word).
Result<Expanded> expand_words(std::string_view text, const Variables& variables, char escape);

}  // namespace quai::build
