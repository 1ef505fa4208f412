#include <cstdio>
#include <cstdlib>

#include "base/result.h"

namespace quai {

void check_failed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "quai: internal error: check failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace quai
