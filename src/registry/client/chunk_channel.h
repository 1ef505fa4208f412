#pragma once
// Bytes handed from one thread to another in chunks, a few in flight: a layer compressed on
// one thread is uploaded from another while it is made, never held whole in memory.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace quai::registry::client {

class ChunkChannel {
 public:
  explicit ChunkChannel(size_t max_chunks = 4) : max_chunks_(max_chunks) {}

  /// Writer: queues a copy of `chunk`, waiting while the channel is full. Fails once the
  /// reader has gone (abandon()), so that the writer stops its work.
  Status put(std::string_view chunk);
  /// Writer: no more chunks. With an error, the reader gets it instead of the end. Only the
  /// first close counts.
  void close(Status outcome = ok());

  /// Reader: up to `size` bytes; 0 at the end, or the writer's error.
  Result<size_t> read(char* data, size_t size);
  /// Reader: gone; the writer's next put() fails.
  void abandon();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::string> chunks_;
  size_t front_offset_ = 0;  // bytes of chunks_.front() already read
  size_t max_chunks_;
  std::optional<Status> closed_;
  bool abandoned_ = false;
};

}  // namespace quai::registry::client
