#pragma once
// A quai store of one test: `quai --root <temp>/root` with busybox bootstrapped, the way
// a user drives it, and what tests check afterwards (leftover containers, mounts, temp
// work).

#include <memory>
#include <string>
#include <vector>

#include "support.h"

namespace quai::test {

std::string quai_binary();
std::vector<std::string> split_lines(const std::string& text);
/// The names in a directory, sorted (none when it cannot be read).
std::vector<std::string> entries(const std::string& dir);

class QuaiTest : public ::testing::Test {
 protected:
  void SetUp() override;
  /// Removes every container the test left, then the store, and the containers' parent
  /// cgroup /quai if the test made it (quai keeps it, as Docker keeps /docker; it stays
  /// when containers end at the same time).
  void TearDown() override;

  std::string root() const { return dir_->path() + "/root"; }
  std::string path(const std::string& name) const { return dir_->path() + "/" + name; }
  /// quai --root ROOT args...
  std::vector<std::string> quai_argv(std::vector<std::string> args) const;
  CommandResult quai(std::vector<std::string> args, const std::string& input = "",
                     int timeout_seconds = 60) const;
  /// What quai left that it should not have: mounts below the root and entries in
  /// containers/, names/, tmp/ and run/ (the runtime's state but its seccomp cache, attach
  /// sockets); one line each, empty when clean.
  std::vector<std::string> leftovers() const;
  /// Image ids that `quai images -q` lists, sorted.
  std::vector<std::string> image_ids() const;

  std::unique_ptr<TempDir> dir_;
  bool had_parent_cgroup_ = false;
};

}  // namespace quai::test
