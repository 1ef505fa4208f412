#pragma once
// ISA-L's igzip (Debian's libisal2), loaded with dlopen() on first use: streaming gzip
// inflate and deflate at several times zlib's speed, which is what bounds pulls and pushes.
// Optional: without the library, callers fall back to zlib.

#include <isa-l/igzip_lib.h>

namespace quai::image::internal {

struct Isal {
  decltype(&isal_inflate_init) inflate_init;
  decltype(&isal_inflate_reset) inflate_reset;
  decltype(&isal_inflate) inflate;
  decltype(&isal_deflate_init) deflate_init;
  decltype(&isal_deflate) deflate;
};

/// The library's functions, or nullptr when libisal.so.2 is not installed or the
/// environment has QUAI_NO_ISAL=1.
const Isal* isal();

}  // namespace quai::image::internal
