#pragma once
// Owners for libarchive's reader and writer handles, and their errors as Error values.

#include <archive.h>

#include <memory>
#include <string_view>

#include "base/result.h"

namespace quai::image::internal {

struct ArchiveReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ArchiveWriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using ArchiveReader = std::unique_ptr<archive, ArchiveReadFree>;
using ArchiveWriter = std::unique_ptr<archive, ArchiveWriteFree>;

/// libarchive's last error on `a` as `code`, prefixed by what was being done.
inline Error archive_error(archive* a, Errc code, std::string_view what) {
  const char* text = archive_error_string(a);
  return make_error(code, "{}: {}", what, text != nullptr ? text : "unknown libarchive error");
}

}  // namespace quai::image::internal
