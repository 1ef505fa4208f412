#pragma once
// What integration tests share: running commands as a user would, temporary directories,
// a busybox root filesystem with the test helper, and OCI bundles built from
// `quai-runtime spec`.

#include <sys/types.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace quai::test {

using Json = nlohmann::json;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::string both() const { return out + err; }
};

/// Runs argv (no shell) with optional stdin text; waits at most timeout_seconds.
CommandResult run(const std::vector<std::string>& argv, const std::string& input = "",
                  int timeout_seconds = 60);
/// Runs a shell command line.
CommandResult sh(const std::string& command, int timeout_seconds = 60);

/// A directory under /tmp removed (with any mounts below it) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "quai-it");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string runtime_binary();
std::string helper_binary();
std::string source_dir();
bool is_root();

/// A shared busybox rootfs with /bin/quai-testhelper, made once per test binary.
const std::string& shared_rootfs();
/// A fresh copy of the rootfs for tests that change it.
void make_rootfs(const std::string& dir);

/// The default config from `quai-runtime spec`, rooted at `rootfs`, running `args`,
/// without a terminal.
Json default_config(const std::string& rootfs, const std::vector<std::string>& args);
void write_config(const std::string& bundle, const Json& config);

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The whole file ("" when it cannot be read).
std::string read_text(const std::string& path);

/// Unmounts everything below `dir` (deepest first).
void unmount_below(const std::string& dir);
/// Lines of /proc/self/mountinfo that mention `text`.
std::vector<std::string> mounts_containing(const std::string& text);
bool cgroup_exists(const std::string& path_below_hierarchy);

/// quai-runtime with --root in a temp dir: one per test; deletes leftovers at the end.
class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  CommandResult runtime(const std::vector<std::string>& args, const std::string& input = "");
  /// Writes config into a fresh bundle dir and returns its path.
  std::string bundle(const Json& config);
  /// A unique container id for this test.
  std::string id(const std::string& suffix = "");

  std::unique_ptr<TempDir> dir_;
  std::string root_;
  int bundles_ = 0;
};

}  // namespace quai::test
