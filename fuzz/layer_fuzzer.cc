// Layer tarballs (plain, gzip, zstd) from registries: unpacked from a memfd into a fresh
// temp dir that is removed afterwards. rootless: no device nodes on the fuzzing host.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "image/layer.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  quai::sys::UniqueFd in(::memfd_create("layer", MFD_CLOEXEC));
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!in || !quai::sys::write_all(in.get(), bytes)) return 0;
  ::lseek(in.get(), 0, SEEK_SET);
  char templ[] = "/tmp/quai-layer-fuzz.XXXXXX";
  if (::mkdtemp(templ) == nullptr) return 0;
  {
    quai::sys::UniqueFd dir(::open(templ, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    (void)quai::image::unpack_layer(in.get(), dir.get(), {.rootless = true}, "layer fuzz");
  }
  (void)quai::sys::remove_tree(templ);
  return 0;
}
