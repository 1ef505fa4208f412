// Image references typed by users or read from archives and manifests.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ref = quai::image::parse_reference(text);
  if (ref) {
    // A reference that parses must print as something that parses to the same thing.
    auto again = quai::image::parse_reference(ref->str());
    if (!again || again->str() != ref->str()) __builtin_trap();
  }
  return 0;
}
