#pragma once
// Libraries loaded on first use (libcurl, ISA-L): binding their functions by name.

#include <dlfcn.h>

namespace quai::sys {

/// Points `function` at the symbol `name` of a dlopen()ed `library`; false when it is missing.
template <class Function>
bool bind_symbol(void* library, Function& function, const char* name) {
  function = reinterpret_cast<Function>(::dlsym(library, name));
  return function != nullptr;
}

}  // namespace quai::sys
