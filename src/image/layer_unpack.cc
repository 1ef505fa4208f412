// unpack_layer: decompression and hashing on one thread (PlainStream), tar parsing
// (TarReader) and file system writes (LayerWriter) on the caller's.
#include "image/internal/layer_writer.h"
#include "image/internal/plain_stream.h"
#include "image/internal/tar_reader.h"
#include "image/layer.h"

namespace quai::image {
namespace {

Result<UnpackedLayer> unpack(int fd, int dir_fd, const UnpackOptions& options) {
  auto stream = TRY(internal::PlainStream::start(fd));
  auto reader = TRY(internal::TarReader::open(*stream));
  internal::LayerWriter writer(dir_fd, options);
  while (auto entry = TRY(reader->next())) TRY(writer.write(*entry, *reader));
  TRY(reader->finish());
  TRY(writer.finish());
  internal::PlainStream::Summary summary = stream->summary();
  return UnpackedLayer{summary.digest, summary.size, writer.disk_size()};
}

}  // namespace

Result<UnpackedLayer> unpack_layer(int fd, int dir_fd, const UnpackOptions& options,
                                   std::string_view origin) {
  return with_context(unpack(fd, dir_fd, options), "unpack {}", origin);
}

}  // namespace quai::image
