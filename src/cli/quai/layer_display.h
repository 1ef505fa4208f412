#pragma once
// Docker's pull and push display on a terminal: the lines before the layers as they come,
// then one row per layer redrawn in place ("a3ed95caeb02: Downloading [==>   ] 12.3MB/45.6MB").
// Thread-safe: the transfer threads report bytes, the pull or push reports lines.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace quai::cli {

class LayerDisplay {
 public:
  /// `verb` names the transfer in the rows: "Downloading", "Pushing".
  explicit LayerDisplay(std::string verb = "Downloading") : verb_(std::move(verb)) {}

  /// A layer's row ("<12 hex>: text") or any other line.
  void line(const std::string& text);
  /// A layer's bytes so far; a total of 0 is not known yet (no bar).
  void bytes(const std::string& id, uint64_t done, uint64_t total);

 private:
  void set_row(const std::string& id, std::string text);  // mutex_ held
  void redraw();                                          // mutex_ held

  std::string verb_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> rows_;
  size_t drawn_ = 0;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace quai::cli
