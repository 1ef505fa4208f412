// Words of a Dockerfile with ${...} substitutions: nested, unbalanced, deep.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "build/expand.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the escape character, as the `# escape=` directive would.
  char escape = (data[0] & 1) ? '`' : '\\';
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  quai::build::Variables variables = {{"A", "x y"}, {"EMPTY", ""}, {"P", "/usr/local/bin"}};
  (void)quai::build::expand_word(text, variables, escape);
  (void)quai::build::expand_words(text, variables, escape);
  return 0;
}
