#include "build/progress.h"

#include <fmt/format.h>

namespace quai::build {
namespace {

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

void Progress::print(std::string_view text) {
  if (quiet_) return;
  std::lock_guard lock(mutex_);
  std::fwrite(text.data(), 1, text.size(), out_);
  std::fflush(out_);
}

int Progress::begin(std::string_view title) {
  int step;
  {
    std::lock_guard lock(mutex_);
    step = next_step_++;
  }
  print(fmt::format("#{} {}\n", step, title));
  return step;
}

void Progress::cached(int step) { print(fmt::format("#{} CACHED\n", step)); }

void Progress::done(int step, std::chrono::steady_clock::duration took) {
  print(fmt::format("#{} DONE {:.1f}s\n", step, seconds(took)));
}

void Progress::failed(int step, std::string_view why) {
  print(fmt::format("#{} ERROR: {}\n", step, why));
}

void Progress::output(int step, std::chrono::steady_clock::duration since_start,
                      std::string_view line) {
  print(fmt::format("#{} {:.3f} {}\n", step, seconds(since_start), line));
}

void Progress::note(std::string_view line) { print(fmt::format("{}\n", line)); }

}  // namespace quai::build
