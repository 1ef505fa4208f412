#include "image/internal/stream_decompress.h"

#include "image/internal/libarchive_handle.h"

namespace quai::image::internal {
namespace {

constexpr size_t kBlockSize = 1 << 16;

// libarchive's "raw" format passes the (decompressed) stream through untouched; only the
// gzip and zstd filters are enabled, so anything else is read as plain bytes.
Result<ArchiveReader> open_raw_reader(int fd) {
  ArchiveReader reader(archive_read_new());
  if (!reader) return fail(Errc::Internal, "archive_read_new failed");
  archive* a = reader.get();
  if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
      archive_read_support_format_raw(a) != ARCHIVE_OK) {
    return fail(archive_error(a, Errc::Unsupported, "set up decompression"));
  }
  if (archive_read_open_fd(a, fd, kBlockSize) != ARCHIVE_OK)
    return fail(archive_error(a, Errc::Corrupt, "open compressed stream"));
  return reader;
}

Compression compression_of(archive* a) {
  switch (archive_filter_code(a, 0)) {
    case ARCHIVE_FILTER_GZIP:
      return Compression::Gzip;
    case ARCHIVE_FILTER_ZSTD:
      return Compression::Zstd;
    default:
      return Compression::None;
  }
}

}  // namespace

Result<Compression> decompress_stream(int fd, const ChunkSink& sink) {
  ArchiveReader reader = TRY(open_raw_reader(fd));
  archive* a = reader.get();
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(a, &entry);
  if (status == ARCHIVE_EOF) return Compression::None;  // an empty stream
  if (status != ARCHIVE_OK) return fail(archive_error(a, Errc::Corrupt, "decompress"));
  Compression compression = compression_of(a);
  char buffer[kBlockSize];
  while (true) {
    la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
    if (n < 0) return fail(archive_error(a, Errc::Corrupt, "decompress"));
    if (n == 0) break;
    TRY(sink(std::string_view(buffer, static_cast<size_t>(n))));
  }
  return compression;
}

}  // namespace quai::image::internal
