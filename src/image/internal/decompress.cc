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

// What one gzip member's decoding takes: zlib's or ISA-L's inflate behind the same calls.
struct InflateStep {
  size_t consumed = 0;
  bool member_ended = false;
};

class ZlibInflater {
 public:
  ZlibInflater() = default;
  ZlibInflater(const ZlibInflater&) = delete;
  ZlibInflater& operator=(const ZlibInflater&) = delete;
  ~ZlibInflater() {
    if (initialised_) inflateEnd(&stream_);
  }

  Status init() {
    // 16 + MAX_WBITS: gzip framing only, so a raw zlib stream is not mistaken for a layer.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) return fail(Errc::Internal, "inflateInit");
    initialised_ = true;
    return ok();
  }
  void set_output(std::span<char> out) {
    stream_.next_out = reinterpret_cast<Bytef*>(out.data());
    stream_.avail_out = static_cast<uInt>(out.size());
  }
  size_t output_left() const { return stream_.avail_out; }
  Result<InflateStep> inflate_some(std::string_view input) {
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
    stream_.avail_in = static_cast<uInt>(input.size());
    int rc = inflate(&stream_, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END)
      return fail(Errc::Corrupt, "gzip: {}", stream_.msg ? stream_.msg : "invalid data");
    return InflateStep{input.size() - stream_.avail_in, rc == Z_STREAM_END};
  }
  Status next_member() {
    if (inflateReset(&stream_) != Z_OK) return fail(Errc::Internal, "gzip: reset failed");
    return ok();
  }

 private:
  z_stream stream_ = {};
  bool initialised_ = false;
};

// ISA-L's inflate: about three times zlib's.
class IsalInflater {
 public:
  explicit IsalInflater(const Isal& lib) : lib_(lib) {}

  Status init() {
    lib_.inflate_init(&state_);
    state_.crc_flag = ISAL_GZIP;  // parse the gzip framing, check CRC-32 and length
    return ok();
  }
  void set_output(std::span<char> out) {
    state_.next_out = reinterpret_cast<uint8_t*>(out.data());
    state_.avail_out = static_cast<uint32_t>(out.size());
  }
  size_t output_left() const { return state_.avail_out; }
  Result<InflateStep> inflate_some(std::string_view input) {
    state_.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(input.data()));
    state_.avail_in = static_cast<uint32_t>(input.size());
    int rc = lib_.inflate(&state_);
    if (rc < 0) return fail(Errc::Corrupt, "gzip: invalid data (igzip error {})", rc);
    return InflateStep{input.size() - state_.avail_in, state_.block_state == ISAL_BLOCK_FINISH};
  }
  Status next_member() {
    uint8_t* next_out = state_.next_out;
    uint32_t avail_out = state_.avail_out;
    lib_.inflate_reset(&state_);
    state_.crc_flag = ISAL_GZIP;
    state_.next_out = next_out;
    state_.avail_out = avail_out;
    return ok();
  }

 private:
  const Isal& lib_;
  inflate_state state_ = {};
};

// A gzip stream of one or more members (pigz, concatenated files), each checked to its end;
// anything else after a member is refused, since it would go into the diff_id unseen by
// extraction.
template <class Inflater>
class GzipSource : public ByteSource {
 public:
  template <class... Args>
  explicit GzipSource(Input input, Args&&... args)
      : input_(std::move(input)), inflater_(std::forward<Args>(args)...) {}

  Status init() { return inflater_.init(); }

  Result<size_t> read(std::span<char> out) override {
    inflater_.set_output(out);
    while (inflater_.output_left() > 0 && !finished_) TRY(step());
    return out.size() - inflater_.output_left();
  }

 private:
  Status step() {
    if (!TRY(input_.refill())) {
      if (in_member_) return fail(Errc::Corrupt, "truncated gzip stream");
      finished_ = true;
      return ok();
    }
    std::string_view pending = input_.pending();
    if (after_member_ && pending.size() >= 2 && !pending.starts_with("\x1f\x8b"))
      return fail(Errc::Corrupt, "trailing data after the gzip stream");
    size_t left_before = inflater_.output_left();
    auto stepped = inflater_.inflate_some(pending);
    if (!stepped && after_member_)
      return fail(Errc::Corrupt, "trailing data after the gzip stream");
    if (!stepped) return fail(std::move(stepped.error()));
    input_.consume(stepped->consumed);
    if (inflater_.output_left() != left_before) after_member_ = false;
    in_member_ = !stepped->member_ended;
    if (!stepped->member_ended) return ok();
    after_member_ = true;
    return inflater_.next_member();
  }

  Input input_;
  Inflater inflater_;
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

template <class Source, class... Args>
Result<std::unique_ptr<ByteSource>> make_source(Input input, Args&&... args) {
  auto source = std::make_unique<Source>(std::move(input), std::forward<Args>(args)...);
  TRY(source->init());
  return source;
}

}  // namespace

Result<std::unique_ptr<ByteSource>> open_decompressed(int fd) {
  Input input(fd);
  TRY(input.read_head());
  switch (detect_compression(input.pending())) {
    case Compression::Gzip:
      if (const Isal* lib = isal())
        return make_source<GzipSource<IsalInflater>>(std::move(input), *lib);
      return make_source<GzipSource<ZlibInflater>>(std::move(input));
    case Compression::Zstd:
      return make_source<ZstdSource>(std::move(input));
    case Compression::None:
      break;
  }
  return std::make_unique<PlainSource>(std::move(input));
}

}  // namespace internal
}  // namespace quai::image
