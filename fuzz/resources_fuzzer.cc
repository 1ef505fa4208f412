// LinuxResources as given to `update --resources`.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto resources = quai::runtime::parse_resources(text, "resources.json");
  if (!resources) (void)resources.error().to_string();
  return 0;
}
