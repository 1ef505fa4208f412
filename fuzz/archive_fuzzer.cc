// Image archives (docker-archive, oci-archive) from `docker load` input: the tar reader,
// member names and links, manifest.json / index.json resolution and the cleanup of a
// failed load. Each input is loaded from a memfd into a fresh store in a temp dir.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "image/archive.h"
#include "sys/file_io.h"
#include "sys/fs.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string root = [] {
    char templ[] = "/tmp/quai-archive-fuzz.XXXXXX";
    if (::mkdtemp(templ) == nullptr) std::abort();
    return std::string(templ);
  }();
  int fd = ::memfd_create("archive", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  if (!quai::sys::write_all(fd, std::string_view(reinterpret_cast<const char*>(data), size)))
    std::abort();
  ::lseek(fd, 0, SEEK_SET);
  auto store = quai::image::BlobStore::open(root + "/store");
  if (!store) std::abort();
  (void)quai::image::load_archive(fd, *store, "fuzz.tar");
  ::close(fd);
  if (!quai::sys::remove_tree(root + "/store")) std::abort();
  return 0;
}
