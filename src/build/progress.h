#pragma once
// What a build prints while it runs, in BuildKit's plain form (one line per event, every
// line tagged with its step's number, so stages running side by side stay readable):
//   #3 [build 2/4] RUN make
//   #3 0.412 cc -o hello hello.c
//   #3 DONE 1.2s
//   #4 [build 3/4] COPY hello.c .
//   #4 CACHED
// Quiet mode prints nothing (the CLI prints the image id at the end).

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace quai::build {

class Progress {
 public:
  Progress(std::FILE* out, bool quiet) : out_(out), quiet_(quiet) {}

  /// A new step; returns its number.
  int begin(std::string_view title);
  void cached(int step);
  void done(int step, std::chrono::steady_clock::duration took);
  void failed(int step, std::string_view why);
  /// A line of a RUN step's output, shown with the time since the step began.
  void output(int step, std::chrono::steady_clock::duration since_start, std::string_view line);
  void note(std::string_view line);

 private:
  void print(std::string_view text);

  std::mutex mutex_;
  std::FILE* out_;
  bool quiet_;
  int next_step_ = 1;
};

}  // namespace quai::build
