#include "image/internal/decompress.h"

#include "image/internal/isal.h"

#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace quai::image {

Compression detect_compression(std::string_view head) {
  if (head.starts_with("\x1f\x8b")) return Compression::Gzip;
  if (head.starts_with("\x28\xb5\x2f\xfd")) return Compression::Zstd;
  return Compression::None;
}

namespace internal {
namespace {

constexpr size_t kInputSize = 256 * 1024;

Result<size_t> read_some(int fd, char* data, size_t size) {
  while (true) {
    ssize_t n = ::read(fd, data, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) return fail_errno(errno, "read layer data");
  }
}

// Compressed bytes read ahead from the fd; `begin..end` is what the decoder has not used yet.
class Input {
 public:
  explicit Input(int fd) : fd_(fd), data_(kInputSize) {}

  /// Reads more once everything buffered was used; false at the end of the fd.
  Result<bool> refill() {
    if (begin_ < end_) return true;
    if (at_eof_) return false;
    begin_ = 0;
    end_ = TRY(read_some(fd_, data_.data(), data_.size()));
    at_eof_ = end_ == 0;
    return !at_eof_;
  }
  /// Reads until the magic numbers of every supported compression can be seen, or the end.
  Status read_head() {
    constexpr size_t kMagicSize = 4;
    while (end_ < kMagicSize && !at_eof_) {
      size_t n = TRY(read_some(fd_, data_.data() + end_, data_.size() - end_));
      at_eof_ = n == 0;
      end_ += n;
    }
    return ok();
  }
  std::string_view pending() const { return {data_.data() + begin_, end_ - begin_}; }
  void consume(size_t n) { begin_ += n; }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::vector<char> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
  bool at_eof_ = false;
};

class PlainSource : public ByteSource {
 public:
  explicit PlainSource(Input input) : input_(std::move(input)) {}

  Result<size_t> read(std::span<char> out) override {
    size_t done = 0;
    // What detection read ahead goes first; after that, read straight into the caller's buffer.
    std::string_view pending = input_.pending();
    if (!pending.empty()) {
      done = std::min(pending.size(), out.size());
      std::memcpy(out.data(), pending.data(), done);
      input_.consume(done);
    }
    while (done < out.size()) {
      size_t n = TRY(read_some(input_.fd(), out.data() + done, out.size() - done));
      if (n == 0) break;
      done += n;
    }
    return done;
  }

 private:
  Input input_;
};

class GzipSource : public ByteSource {
 public:
  explicit GzipSource(Input input) : input_(std::move(input)) {}
  ~GzipSource() override {
    if (initialised_) inflateEnd(&stream_);
  }

  Status init() {
    // 16 + MAX_WBITS: gzip framing only, so a raw zlib stream is not mistaken for a layer.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) return fail(Errc::Internal, "inflateInit");
    initialised_ = true;
    return ok();
  }

  Result<size_t> read(std::span<char> out) override {
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(out.size());
    while (stream_.avail_out > 0 && !finished_) TRY(step());
    return out.size() - stream_.avail_out;
  }

 private:
  Status step() {
    if (!TRY(input_.refill())) {
      if (in_member_) return fail(Errc::Corrupt, "truncated gzip stream");
      finished_ = true;
      return ok();
    }
    std::string_view pending = input_.pending();
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(pending.data()));
    stream_.avail_in = static_cast<uInt>(pending.size());
    uInt out_before = stream_.avail_out;
    int rc = inflate(&stream_, Z_NO_FLUSH);
    input_.consume(pending.size() - stream_.avail_in);
    if (stream_.avail_out != out_before) after_member_ = false;
    if (rc == Z_STREAM_END) return next_member();
    if (rc == Z_OK || rc == Z_BUF_ERROR) {
      in_member_ = true;
      return ok();
    }
    // A second member is allowed (pigz, concatenated files); anything else after the end of
    // the first one would go into the diff_id unseen by extraction.
    if (after_member_) return fail(Errc::Corrupt, "trailing data after the gzip stream");
    return fail(Errc::Corrupt, "gzip: {}", stream_.msg ? stream_.msg : "invalid data");
  }

  Status next_member() {
    in_member_ = false;
    after_member_ = true;
    if (inflateReset(&stream_) != Z_OK) return fail(Errc::Internal, "gzip: reset failed");
    return ok();
  }

  Input input_;
  z_stream stream_ = {};
  bool initialised_ = false;
  bool in_member_ = false;
  bool after_member_ = false;
  bool finished_ = false;
};

// The same contract as GzipSource, through ISA-L's inflate (about three times zlib's).
class IsalGzipSource : public ByteSource {
 public:
  IsalGzipSource(Input input, const Isal& lib) : input_(std::move(input)), lib_(lib) {}

  Status init() {
    lib_.inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;  // parse the gzip framing, check CRC-32 and length
    return ok();
  }

  Result<size_t> read(std::span<char> out) override {
    state_.next_out = reinterpret_cast<uint8_t*>(out.data());
    state_.avail_out = static_cast<uint32_t>(out.size());
    while (state_.avail_out > 0 && !finished_) TRY(step());
    return out.size() - state_.avail_out;
  }

 private:
  Status step() {
    if (!TRY(input_.refill())) {
      if (in_member_) return fail(Errc::Corrupt, "truncated gzip stream");
      finished_ = true;
      return ok();
    }
    std::string_view pending = input_.pending();
    // After a member, only another member may follow (pigz, concatenated files); anything
    // else would go into the diff_id unseen by extraction.
    if (after_member_ && pending.size() >= 2 && !pending.starts_with("\x1f\x8b"))
      return fail(Errc::Corrupt, "trailing data after the gzip stream");
    state_.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(pending.data()));
    state_.avail_in = static_cast<uint32_t>(pending.size());
    uint32_t out_before = state_.avail_out;
    int rc = lib_.inflate(&state_);
    input_.consume(pending.size() - state_.avail_in);
    if (state_.avail_out != out_before) after_member_ = false;
    if (rc < 0) return fail(Errc::Corrupt, "gzip: invalid data (igzip error {})", rc);
    if (state_.block_state == ISAL_BLOCK_FINISH) return next_member();
    in_member_ = true;
    return ok();
  }

  Status next_member() {
    in_member_ = false;
    after_member_ = true;
    uint8_t* next_out = state_.next_out;
    uint32_t avail_out = state_.avail_out;
    lib_.inflate_reset(&state_);
    state_.crc_flag = ISAL_GZIP;
    state_.next_out = next_out;
    state_.avail_out = avail_out;
    return ok();
  }

  Input input_;
  const Isal& lib_;
  inflate_state state_ = {};
  bool in_member_ = false;
  bool after_member_ = false;
  bool finished_ = false;
};

class ZstdSource : public ByteSource {
 public:
  explicit ZstdSource(Input input) : input_(std::move(input)) {}
  ~ZstdSource() override { ZSTD_freeDCtx(context_); }

  Status init() {
    context_ = ZSTD_createDCtx();
    if (context_ == nullptr) return fail(Errc::Internal, "ZSTD_createDCtx");
    return ok();
  }

  Result<size_t> read(std::span<char> out) override {
    ZSTD_outBuffer buffer = {out.data(), out.size(), 0};
    while (buffer.pos < buffer.size && !finished_) TRY(step(buffer));
    return buffer.pos;
  }

 private:
  Status step(ZSTD_outBuffer& out) {
    bool has_input = TRY(input_.refill());
    // Asked again after a frame ended, the decoder would start a new one and want its header.
    if (!has_input && frame_done_) {
      finished_ = true;
      return ok();
    }
    std::string_view pending = input_.pending();
    ZSTD_inBuffer in = {pending.data(), pending.size(), 0};
    size_t out_before = out.pos;
    size_t rc = ZSTD_decompressStream(context_, &out, &in);
    input_.consume(in.pos);
    if (ZSTD_isError(rc)) return fail(Errc::Corrupt, "zstd: {}", ZSTD_getErrorName(rc));
    frame_done_ = rc == 0;
    // Without input, a call that ends no frame and produces nothing can never make progress.
    if (!has_input && !frame_done_ && out.pos == out_before) {
      return fail(Errc::Corrupt, "truncated zstd stream");
    }
    return ok();
  }

  Input input_;
  ZSTD_DCtx* context_ = nullptr;
  bool frame_done_ = false;
  bool finished_ = false;
};

template <class Source>
Result<std::unique_ptr<ByteSource>> make_source(Input input) {
  auto source = std::make_unique<Source>(std::move(input));
  TRY(source->init());
  return source;
}

}  // namespace

Result<std::unique_ptr<ByteSource>> open_decompressed(int fd) {
  Input input(fd);
  TRY(input.read_head());
  switch (detect_compression(input.pending())) {
    case Compression::Gzip:
      if (const Isal* lib = isal()) {
        auto source = std::make_unique<IsalGzipSource>(std::move(input), *lib);
        TRY(source->init());
        return source;
      }
      return make_source<GzipSource>(std::move(input));
    case Compression::Zstd:
      return make_source<ZstdSource>(std::move(input));
    case Compression::None:
      break;
  }
  return std::make_unique<PlainSource>(std::move(input));
}

}  // namespace internal
}  // namespace quai::image
