#include "cli/quai/layer_display.h"

#include <cstdio>

#include <fmt/format.h>

namespace quai::cli {
namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(100);

bool is_layer_row(const std::string& text) {
  if (text.size() < 14 || text.compare(12, 2, ": ") != 0) return false;
  for (size_t i = 0; i < 12; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(text[i]))) return false;
  return true;
}

// Docker's units: decimal, three significant digits ("12.3MB", "456kB").
std::string human(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  return value < 10 && unit > 0 ? fmt::format("{:.2f}{}", value, kUnits[unit])
         : value < 100          ? fmt::format("{:.1f}{}", value, kUnits[unit])
                                : fmt::format("{:.0f}{}", value, kUnits[unit]);
}

std::string bar(uint64_t done, uint64_t total) {
  constexpr int kWidth = 50;
  int filled = total == 0 ? 0 : static_cast<int>(kWidth * std::min(done, total) / total);
  std::string drawn(static_cast<size_t>(filled), '=');
  if (filled < kWidth) drawn += '>';
  drawn.resize(kWidth, ' ');
  return "[" + drawn + "]";
}

}  // namespace

void LayerDisplay::line(const std::string& text) {
  std::lock_guard lock(mutex_);
  if (is_layer_row(text)) {
    set_row(text.substr(0, 12), text.substr(14));
    redraw();
    return;
  }
  // Lines after the layers (Digest, Status) leave the rows as they are, finished.
  rows_.clear();
  drawn_ = 0;
  std::printf("%s\n", text.c_str());
  std::fflush(stdout);
}

void LayerDisplay::bytes(const std::string& id, uint64_t done, uint64_t total) {
  std::lock_guard lock(mutex_);
  set_row(id, total == 0
                  ? fmt::format("{} {}", verb_, human(done))
                  : fmt::format("{} {} {}/{}", verb_, bar(done, total), human(done), human(total)));
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < kRedrawEvery && (total == 0 || done < total)) return;
  last_draw_ = now;
  redraw();
}

void LayerDisplay::set_row(const std::string& id, std::string text) {
  for (auto& [row_id, row_text] : rows_) {
    if (row_id == id) {
      row_text = std::move(text);
      return;
    }
  }
  rows_.emplace_back(id, std::move(text));
}

void LayerDisplay::redraw() {
  std::string out;
  if (drawn_ > 0) out += fmt::format("\x1b[{}A", drawn_);  // back to the first row
  for (const auto& [id, text] : rows_) out += fmt::format("\x1b[2K{}: {}\n", id, text);
  drawn_ = rows_.size();
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace quai::cli
