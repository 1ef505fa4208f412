#include "registry/client/chunk_channel.h"

#include <algorithm>
#include <cstring>

namespace quai::registry::client {

Status ChunkChannel::put(std::string_view chunk) {
  if (chunk.empty()) return ok();
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return abandoned_ || chunks_.size() < max_chunks_; });
  if (abandoned_) return fail(Errc::Io, "the upload stopped");
  chunks_.emplace_back(chunk);
  changed_.notify_all();
  return ok();
}

void ChunkChannel::close(Status outcome) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  closed_ = std::move(outcome);
  changed_.notify_all();
}

Result<size_t> ChunkChannel::read(char* data, size_t size) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return !chunks_.empty() || closed_; });
  if (chunks_.empty()) {
    if (!*closed_) return fail(closed_->error());
    return 0;
  }
  const std::string& front = chunks_.front();
  size_t n = std::min(size, front.size() - front_offset_);
  std::memcpy(data, front.data() + front_offset_, n);
  front_offset_ += n;
  if (front_offset_ == front.size()) {
    chunks_.pop_front();
    front_offset_ = 0;
    changed_.notify_all();
  }
  return n;
}

void ChunkChannel::abandon() {
  std::lock_guard lock(mutex_);
  abandoned_ = true;
  changed_.notify_all();
}

}  // namespace quai::registry::client
