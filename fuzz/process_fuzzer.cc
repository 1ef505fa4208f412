// process.json as given to `exec --process`.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto process = quai::runtime::parse_process(text, "process.json");
  if (!process) (void)process.error().to_string();
  return 0;
}
