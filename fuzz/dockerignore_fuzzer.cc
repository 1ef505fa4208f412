// .dockerignore files are part of an untrusted build context.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "build/ignore.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto matcher = quai::build::IgnoreMatcher::parse(text, ".dockerignore");
  if (matcher) {
    for (const char* path : {"a", "a/b", "src/main.cc", ".git/config", "Dockerfile"}) {
      (void)matcher->excluded(path);
      (void)matcher->may_include_below(path);
    }
  }
  return 0;
}
