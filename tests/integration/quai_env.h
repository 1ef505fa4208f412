#pragma once
// A quai store of one test: `quai --root <temp>/root` with busybox bootstrapped, the way
// a user drives it, and what tests check afterwards (leftover containers, mounts, temp
// work).

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "support.h"

namespace quai::test {

std::string quai_binary();
std::vector<std::string> split_lines(const std::string& text);
/// argv as one shell command line, each word single-quoted.
std::string shell_line(const std::vector<std::string>& argv);
/// Runs argv with a terminal (script(1) gives it a pty) and `input` typed into it.
CommandResult run_in_terminal(const std::vector<std::string>& argv, const std::string& input);
/// The names in a directory, sorted (none when it cannot be read).
std::vector<std::string> entries(const std::string& dir);
/// Waits until no background work (a pull's layer sync) holds a store directly under `dir`.
void wait_for_background_work(const std::string& dir);

class QuaiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  /// Removes every container the test left, then the store.
  void TearDown() override;

  std::string root() const { return dir_->path() + "/root"; }
  std::string path(const std::string& name) const { return dir_->path() + "/" + name; }
  const std::string& path() const { return dir_->path(); }
  /// quai --root ROOT args...
  std::vector<std::string> quai_argv(std::vector<std::string> args) const;
  CommandResult quai(std::vector<std::string> args, const std::string& input = "",
                     int timeout_seconds = 60) const;
  /// Runs quai with a terminal (script(1) gives it a pty) and `input` typed into it.
  CommandResult quai_in_terminal(const std::vector<std::string>& args,
                                 const std::string& input) const;
  /// Polls `probe` every 20 ms, for up to 5 s, until it returns true.
  template <typename Probe>
  static bool eventually(Probe probe) {
    for (int i = 0; i < 250; ++i) {
      if (probe()) return true;
      ::usleep(20000);
    }
    return false;
  }
  /// What quai left that it should not have: mounts below the root and entries in
  /// containers/, names/, tmp/ and run/ (the runtime's state but its seccomp cache, attach
  /// sockets); one line each, empty when clean.
  std::vector<std::string> leftovers() const;
  /// No container listed, `system check` clean, and (once the monitors of --rm containers
  /// have deleted their files) nothing in leftovers().
  void expect_store_clean();
  /// Image ids that `quai images -q` lists, sorted.
  std::vector<std::string> image_ids() const;

  std::unique_ptr<TempDir> dir_;
};

}  // namespace quai::test
