// unpack_layer FILE DIR: unpacks one layer (plain, gzip or zstd tar) into DIR, made if
// missing, and prints its diff_id and sizes. No sync, like `tar -x`.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fmt/format.h>

#include "image/layer.h"
#include "sys/fd.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    fmt::print(stderr, "usage: unpack_layer FILE DIR\n");
    return 2;
  }
  quai::sys::UniqueFd in(::open(argv[1], O_RDONLY | O_CLOEXEC));
  if (!in) {
    fmt::print(stderr, "unpack_layer: open {}: {}\n", argv[1], std::strerror(errno));
    return 1;
  }
  if (::mkdir(argv[2], 0755) != 0 && errno != EEXIST) {
    fmt::print(stderr, "unpack_layer: mkdir {}: {}\n", argv[2], std::strerror(errno));
    return 1;
  }
  quai::sys::UniqueFd dir(::open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  auto layer = quai::image::unpack_layer(in.get(), dir.get(), {}, fmt::format("layer {}", argv[1]));
  if (!layer) {
    fmt::print(stderr, "unpack_layer: error: {}\n", layer.error().to_string());
    return 1;
  }
  fmt::print("{} tar_size={} disk_size={}\n", layer->diff_id.str(), layer->tar_size,
             layer->disk_size);
  return 0;
}
