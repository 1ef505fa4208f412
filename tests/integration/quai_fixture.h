#pragma once
// The fixture of tests that drive the quai CLI: a throw-away --root per test with a
// bootstrapped busybox image; containers are removed at the end. QUAI_BIN names the
// binary (a compile definition of each test target).

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support.h"

namespace quai::test {

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

  CommandResult quai(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), {QUAI_BIN, "--root", root()});
    return run(args, input);
  }

  std::string root() const { return dir_->path() + "/root"; }
  const std::string& path() const { return dir_->path(); }

  static std::vector<std::string> split_lines(const std::string& text) {
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

  std::unique_ptr<TempDir> dir_;
};

}  // namespace quai::test
