// Manifests, indexes and image configs from registries and archives.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "image/manifest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)quai::image::parse_manifest(text, "manifest");
  (void)quai::image::parse_index(text, "index");
  (void)quai::image::parse_image_config(text, "config");
  return 0;
}
