// Dockerfiles come from users' repositories and from build contexts sent over the API.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "build/dockerfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = quai::build::parse_dockerfile(text, "Dockerfile");
  if (parsed) {
    // Every parsed file can be dumped, and every instruction has a line inside the file.
    (void)quai::build::dump_ast(*parsed);
    for (const auto& instruction : parsed->instructions) {
      if (instruction.line < 1 || instruction.end_line < instruction.line) __builtin_trap();
    }
  } else if (!parsed.error().message().starts_with("Dockerfile")) {
    __builtin_trap();  // errors always name the file
  }
  return 0;
}
