#include "store/ids.h"

#include <sys/random.h>

#include <array>
#include <cstdint>

#include "base/result.h"

namespace quai::store {

void random_bytes(void* out, size_t size) {
  auto* bytes = static_cast<uint8_t*>(out);
  size_t filled = 0;
  while (filled < size) {
    ssize_t n = ::getrandom(bytes + filled, size - filled, 0);
    QUAI_CHECK(n > 0 || errno == EINTR);
    if (n > 0) filled += static_cast<size_t>(n);
  }
}

std::string random_id() {
  std::array<uint8_t, 32> bytes{};
  random_bytes(bytes.data(), bytes.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(64);
  for (uint8_t b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0xf];
  }
  return id;
}

std::string_view short_id(std::string_view id) { return id.substr(0, 12); }

bool is_id_prefix(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace quai::store
