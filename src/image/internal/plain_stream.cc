#include "image/internal/plain_stream.h"

#include "base/sha256.h"

namespace quai::image::internal {
namespace {

// 4 × 512 KiB: large enough that the consumer rarely waits for a lock, small enough that the
// pool stays in cache-friendly territory.
constexpr size_t kChunkCount = 4;
constexpr size_t kChunkSize = 512 * 1024;

}  // namespace

PlainStream::PlainStream(std::unique_ptr<ByteSource> source)
    : source_(std::move(source)), chunks_(kChunkCount) {
  for (size_t i = 0; i < chunks_.size(); ++i) {
    chunks_[i].data.resize(kChunkSize);
    free_.push_back(i);
  }
}

Result<std::unique_ptr<PlainStream>> PlainStream::start(int fd) {
  auto source = TRY(open_decompressed(fd));
  std::unique_ptr<PlainStream> stream(new PlainStream(std::move(source)));
  stream->producer_ = std::thread([raw = stream.get()] { raw->produce(); });
  return stream;
}

PlainStream::~PlainStream() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (producer_.joinable()) producer_.join();
}

std::optional<size_t> PlainStream::take_free_chunk() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return stopping_ || !free_.empty(); });
  if (stopping_) return std::nullopt;
  size_t chunk = free_.front();
  free_.pop_front();
  return chunk;
}

void PlainStream::publish(size_t chunk) {
  {
    std::lock_guard lock(mutex_);
    ready_.push_back(chunk);
  }
  changed_.notify_all();
}

Status PlainStream::produce_all() {
  Sha256 hash;
  uint64_t size = 0;
  while (auto chunk = take_free_chunk()) {
    Chunk& piece = chunks_[*chunk];
    piece.size = TRY(source_->read(piece.data));
    hash.update({piece.data.data(), piece.size});
    size += piece.size;
    if (piece.size == 0) {
      std::lock_guard lock(mutex_);
      summary_ = Summary{Digest::from_hex(hash.finish_hex()), size};
    }
    publish(*chunk);
    if (piece.size == 0) break;
  }
  return ok();
}

void PlainStream::produce() {
  Status status = produce_all();
  {
    std::lock_guard lock(mutex_);
    if (!status) error_ = std::move(status).error();
    ended_ = true;
  }
  changed_.notify_all();
}

Result<std::string_view> PlainStream::next() {
  std::unique_lock lock(mutex_);
  if (held_) {
    free_.push_back(*held_);
    held_.reset();
    changed_.notify_all();
  }
  changed_.wait(lock, [this] { return !ready_.empty() || ended_; });
  if (ready_.empty()) {
    if (error_) return fail(*error_);
    return std::string_view();
  }
  held_ = ready_.front();
  ready_.pop_front();
  const Chunk& piece = chunks_[*held_];
  return std::string_view(piece.data.data(), piece.size);
}

PlainStream::Summary PlainStream::summary() const {
  QUAI_CHECK(summary_.has_value());
  return *summary_;
}

}  // namespace quai::image::internal
