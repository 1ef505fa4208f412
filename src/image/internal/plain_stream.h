#pragma once
// The uncompressed layer stream, decompressed and hashed on a thread of its own so that
// extraction on the caller's thread and decompression use two cores, as `tar -xz` does
// with its gzip child. Chunks go through a small bounded pool: memory stays constant and a
// slow disk makes the decompressor wait.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "image/digest.h"
#include "image/internal/decompress.h"

namespace quai::image::internal {

/// One consumer thread calls next() and summary(); the producer is internal. Destroying the
/// stream stops the producer and joins it, whatever state it is in; a read() of the fd in
/// progress is waited for (a stalled pipe holds the destructor until it ends or errs).
class PlainStream {
 public:
  struct Summary {
    Digest digest;      // sha256 of every uncompressed byte
    uint64_t size = 0;  // count of uncompressed bytes
  };

  /// Starts decompressing `fd`, which must stay open until the stream is destroyed.
  static Result<std::unique_ptr<PlainStream>> start(int fd);
  ~PlainStream();
  PlainStream(const PlainStream&) = delete;
  PlainStream& operator=(const PlainStream&) = delete;

  /// The next piece of the stream, empty at its end; valid until the next call.
  Result<std::string_view> next();
  /// Only once next() returned the end.
  Summary summary() const;

 private:
  struct Chunk {
    std::vector<char> data;
    size_t size = 0;
  };
  explicit PlainStream(std::unique_ptr<ByteSource> source);
  void produce();
  Status produce_all();
  std::optional<size_t> take_free_chunk();
  void publish(size_t chunk);

  std::unique_ptr<ByteSource> source_;
  std::vector<Chunk> chunks_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<size_t> free_;     // chunks the producer may fill
  std::deque<size_t> ready_;    // filled chunks in stream order
  std::optional<size_t> held_;  // the chunk the consumer reads now
  std::optional<Error> error_;  // the producer's failure, after every ready chunk
  bool ended_ = false;          // the producer has published the last chunk
  bool stopping_ = false;       // the consumer gave up
  std::optional<Summary> summary_;
  std::thread producer_;
};

}  // namespace quai::image::internal
