// config.json from an untrusted bundle: parsing must fail cleanly, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto spec = quai::runtime::parse_spec(text, "/bundle");
  if (!spec) (void)spec.error().to_string();
  return 0;
}
