// /proc/self/mountinfo as read to find the cgroup hierarchies (a container may control
// what it holds through mount names).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/cgroup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto layout = quai::runtime::CgroupLayout::from_mountinfo(text);
  (void)layout.unified();
  return 0;
}
