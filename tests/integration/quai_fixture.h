#pragma once
// The fixture of tests that drive the quai CLI: a throw-away --root per test with a
// bootstrapped busybox image; containers are removed at the end. QUAI_BIN names the
// binary (a compile definition of each test target).

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support.h"

namespace quai::test {

/// The non-empty lines of `text`.
inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class QuaiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "containers need root";
    dir_ = std::make_unique<TempDir>("quai-it-cli");
    auto made = quai({"image", "bootstrap", "busybox"});
    ASSERT_EQ(made.exit_code, 0) << made.both();
  }

  void TearDown() override {
    if (!dir_) return;
    for (const auto& id : split_lines(quai({"ps", "-aq"}).out)) quai({"rm", "-f", id});
    dir_.reset();
  }

  std::vector<std::string> quai_argv(std::vector<std::string> args) const {
    args.insert(args.begin(), {QUAI_BIN, "--root", root()});
    return args;
  }
  CommandResult quai(std::vector<std::string> args, const std::string& input = "") {
    return run(quai_argv(std::move(args)), input);
  }
  /// The command line of `quai --root … args`, quoted for a shell.
  std::string quai_line(const std::vector<std::string>& args) const {
    std::string line;
    for (const auto& arg : quai_argv(args)) {
      std::string quoted = "'";
      for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
      line += (line.empty() ? "" : " ") + quoted + "'";
    }
    return line;
  }
  /// Runs quai with a terminal (script(1) gives it a pty) and `input` typed into it.
  CommandResult quai_in_terminal(const std::vector<std::string>& args, const std::string& input) {
    return run({"script", "-qec", quai_line(args), "/dev/null"}, input);
  }
  /// Polls `probe` (up to ~5 s) until it returns true.
  template <typename Probe>
  static bool eventually(Probe probe) {
    for (int i = 0; i < 250; ++i) {
      if (probe()) return true;
      ::usleep(20000);
    }
    return false;
  }

  std::string root() const { return dir_->path() + "/root"; }
  const std::string& path() const { return dir_->path(); }

  std::unique_ptr<TempDir> dir_;
};

}  // namespace quai::test
