#include "image/compress.h"

#include "image/internal/isal.h"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <functional>
#include <memory>
#include <vector>

namespace quai::image {
namespace {

constexpr size_t kChunk = 1 << 20;

using Feed = std::function<Status(std::string_view input, bool last)>;

// Reads `fd` to its end in chunks, handing each to `feed` (the last one flagged).
Status read_chunks(int fd, const Feed& feed) {
  std::vector<char> buffer(kChunk);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read");
    TRY(feed(std::string_view(buffer.data(), static_cast<size_t>(n)), n == 0));
    if (n == 0) return ok();
  }
}

Status gzip_into(int fd, const ChunkSink& out) {
  z_stream stream{};
  if (deflateInit2(&stream, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return fail(Errc::Internal, "deflateInit2 failed");
  std::unique_ptr<z_stream, decltype(&deflateEnd)> owner(&stream, deflateEnd);
  std::vector<char> output(kChunk);
  return read_chunks(fd, [&](std::string_view input, bool last) -> Status {
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream.avail_in = static_cast<uInt>(input.size());
    int result = Z_OK;
    do {
      stream.next_out = reinterpret_cast<Bytef*>(output.data());
      stream.avail_out = static_cast<uInt>(output.size());
      result = deflate(&stream, last ? Z_FINISH : Z_NO_FLUSH);
      if (result == Z_STREAM_ERROR) return fail(Errc::Internal, "deflate failed");
      TRY(out(std::string_view(output.data(), output.size() - stream.avail_out)));
    } while (stream.avail_out == 0 || (last && result != Z_STREAM_END));
    return ok();
  });
}

// ISA-L's level 1: several times zlib's speed at about its level-1 ratio.
Status isal_gzip_into(int fd, const ChunkSink& out, const internal::Isal& lib) {
  auto stream = std::make_unique<isal_zstream>();
  lib.deflate_init(stream.get());
  std::vector<uint8_t> level_buffer(ISAL_DEF_LVL1_DEFAULT);
  stream->level = 1;
  stream->level_buf = level_buffer.data();
  stream->level_buf_size = static_cast<uint32_t>(level_buffer.size());
  stream->gzip_flag = IGZIP_GZIP;
  std::vector<char> output(kChunk);
  return read_chunks(fd, [&](std::string_view input, bool last) -> Status {
    stream->next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(input.data()));
    stream->avail_in = static_cast<uint32_t>(input.size());
    stream->end_of_stream = last ? 1 : 0;
    do {
      stream->next_out = reinterpret_cast<uint8_t*>(output.data());
      stream->avail_out = static_cast<uint32_t>(output.size());
      int rc = lib.deflate(stream.get());
      if (rc != COMP_OK) return fail(Errc::Internal, "igzip deflate failed ({})", rc);
      TRY(out(std::string_view(output.data(), output.size() - stream->avail_out)));
    } while (stream->avail_in > 0 || stream->avail_out == 0 ||
             (last && stream->internal_state.state != ZSTATE_END));
    return ok();
  });
}

Status zstd_into(int fd, const ChunkSink& out) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> context(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!context) return fail(Errc::Internal, "ZSTD_createCCtx failed");
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_compressionLevel, 3);
  ZSTD_CCtx_setParameter(context.get(), ZSTD_c_nbWorkers, 2);  // ignored by a single-thread libzstd
  std::vector<char> output(ZSTD_CStreamOutSize());
  return read_chunks(fd, [&](std::string_view input, bool last) -> Status {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    for (;;) {
      ZSTD_outBuffer buffer{output.data(), output.size(), 0};
      size_t remaining =
          ZSTD_compressStream2(context.get(), &buffer, &in, last ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(remaining))
        return fail(Errc::Internal, "zstd: {}", ZSTD_getErrorName(remaining));
      TRY(out(std::string_view(output.data(), buffer.pos)));
      bool done = last ? remaining == 0 : in.pos == in.size;
      if (done) return ok();
    }
  });
}

}  // namespace

Status compress_stream(int fd, Compression how, const ChunkSink& out) {
  if (how == Compression::Gzip && internal::isal() != nullptr)
    return isal_gzip_into(fd, out, *internal::isal());
  if (how == Compression::Gzip) return gzip_into(fd, out);
  if (how == Compression::Zstd) return zstd_into(fd, out);
  return fail(Errc::InvalidArgument, "no compression asked");
}

Result<StoredBlob> compress_blob(BlobStore& blobs, const Digest& source, Compression how,
                                 const CompressionTee* tee) {
  std::string origin = "compress blob " + source.str();
  sys::UniqueFd input = TRY_CTX(blobs.open_blob(source), "{}", origin);
  BlobWriter writer = TRY(blobs.writer());
  TRY_CTX(compress_stream(input.get(), how,
                          [&](std::string_view chunk) -> Status {
                            TRY(writer.write(chunk));
                            return tee != nullptr ? tee->chunk(chunk) : ok();
                          }),
          "{}", origin);
  if (tee != nullptr) tee->end(writer.digest(), writer.size());
  return writer.commit();
}

}  // namespace quai::image
