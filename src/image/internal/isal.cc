#include "image/internal/isal.h"

#include <dlfcn.h>

#include <cstdlib>
#include <optional>

#include "sys/dynamic_library.h"

namespace quai::image::internal {

const Isal* isal() {
  // Tests run the zlib path too; users may turn ISA-L off the same way.
  if (const char* off = std::getenv("QUAI_NO_ISAL"); off != nullptr && *off == '1') return nullptr;
  static const std::optional<Isal> loaded = []() -> std::optional<Isal> {
    void* library = ::dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) return std::nullopt;
    Isal functions;
    bool complete = true;
    auto bind = [&](auto& function, const char* name) {
      complete = sys::bind_symbol(library, function, name) && complete;
    };
    bind(functions.inflate_init, "isal_inflate_init");
    bind(functions.inflate_reset, "isal_inflate_reset");
    bind(functions.inflate, "isal_inflate");
    bind(functions.deflate_init, "isal_deflate_init");
    bind(functions.deflate, "isal_deflate");
    if (!complete) return std::nullopt;
    return functions;
  }();
  return loaded ? &*loaded : nullptr;
}

}  // namespace quai::image::internal
