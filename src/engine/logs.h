#pragma once
// Container output in Docker's json-file shape, one JSON object per line:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-22T10:00:00.123456789Z"}
// The monitor writes it; `quai logs` reads it. Rotated by size: when the file passes
// the limit it becomes <file>.1 (the previous .1 is dropped) and a new file starts.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::engine {

inline constexpr uint64_t kDefaultLogMaxSize = 20 << 20;

class LogWriter {
 public:
  static Result<LogWriter> open(std::string path, uint64_t max_size = kDefaultLogMaxSize);
  /// Appends output of one stream; complete lines become one entry each, a partial line
  /// waits for the rest (or flush()).
  void write(std::string_view stream, std::string_view data);
  /// Writes out partial lines, e.g. when the container exits.
  void flush();

 private:
  LogWriter(std::string path, sys::UniqueFd fd, uint64_t size, uint64_t max_size)
      : path_(std::move(path)), fd_(std::move(fd)), size_(size), max_size_(max_size) {}
  void append_entry(std::string_view stream, std::string_view line);
  void rotate();

  std::string path_;
  sys::UniqueFd fd_;
  uint64_t size_;
  uint64_t max_size_;
  std::string pending_stdout_;
  std::string pending_stderr_;
};

struct LogEntry {
  std::string stream;
  std::string text;
  std::string time;
};

struct LogQuery {
  std::optional<size_t> tail;  // only the last N entries
  std::string since;           // RFC 3339; entries at or after it
  bool follow = false;         // keep reading until `keep_following` returns false
  std::function<bool()> keep_following;
};

/// Reads the log (rotated file first), calling `emit` per entry in order.
Status read_logs(const std::string& path, const LogQuery& query,
                 const std::function<void(const LogEntry&)>& emit);

}  // namespace quai::engine
