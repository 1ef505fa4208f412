#include "base/time.h"

#include <chrono>

#include <fmt/chrono.h>

namespace quai {

std::string rfc3339_now() {
  auto now =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
}

}  // namespace quai
