#include "quai_env.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace quai::test {

std::string quai_binary() { return QUAI_BIN; }

std::vector<std::string> split_lines(const std::string& text) {
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

std::string shell_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const auto& arg : argv) {
    std::string quoted = "'";
    for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += (line.empty() ? "" : " ") + quoted + "'";
  }
  return line;
}

CommandResult run_in_terminal(const std::vector<std::string>& argv, const std::string& input) {
  return run({"script", "-qec", shell_line(argv), "/dev/null"}, input);
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    names.push_back(entry.path().filename().string());
  std::ranges::sort(names);
  return names;
}

void QuaiTest::SetUp() {
  if (!is_root()) GTEST_SKIP() << "containers need root";
  dir_ = std::make_unique<TempDir>("quai-it-cli");
  auto made = quai({"image", "bootstrap", "busybox"});
  ASSERT_EQ(made.exit_code, 0) << made.both();
}

// A pull leaves a process syncing its layers, holding the store's locks/gc shared until it
// is done: taking the lock exclusively waits for it, so that nothing outlives the test.
void wait_for_background_work(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string lock = entry.path().string() + "/locks/gc";
    int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ::flock(fd, LOCK_EX);
    ::close(fd);
  }
}

// Bridges and the firewall table are kernel objects outside the temp dir: each network a
// store below `dir` has (the default one too, on a qbr- name of its own outside
// /var/lib/quai) goes, and the store's nftables table (quai_ and its root's sha256).
void remove_networking(const std::string& dir) {
  for (const auto& store : entries(dir)) {
    auto networks = entries(dir + "/" + store + "/networks");
    if (networks.empty()) continue;  // never networked: no bridge, no table
    for (const auto& id : networks) {
      if (id.size() == 64) run({"ip", "link", "del", "qbr-" + id.substr(0, 11)});
    }
    auto hash = run({"sh", "-c", "printf %s \"$0\" | sha256sum", dir + "/" + store});
    run({"nft", "delete", "table", "ip", "quai_" + hash.out.substr(0, 12)});
  }
}

void QuaiTest::TearDown() {
  if (!dir_) return;
  for (const auto& id : split_lines(quai({"ps", "-aq"}).out)) quai({"rm", "-f", id});
  wait_for_background_work(dir_->path());
  remove_networking(dir_->path());
  dir_.reset();
}

std::vector<std::string> QuaiTest::quai_argv(std::vector<std::string> args) const {
  args.insert(args.begin(), {quai_binary(), "--root", root()});
  return args;
}

CommandResult QuaiTest::quai(std::vector<std::string> args, const std::string& input,
                             int timeout_seconds) const {
  return run(quai_argv(std::move(args)), input, timeout_seconds);
}

CommandResult QuaiTest::quai_in_terminal(const std::vector<std::string>& args,
                                         const std::string& input) const {
  return run_in_terminal(quai_argv(args), input);
}

std::vector<std::string> QuaiTest::leftovers() const {
  std::vector<std::string> found;
  for (const auto& line : mounts_containing(root())) found.push_back("mount: " + line);
  for (const char* dir : {"containers", "names", "tmp", "run/runtime"}) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root() + "/" + dir, ec)) {
      std::string name = entry.path().filename().string();
      if (name != "seccomp-cache") found.push_back(std::string(dir) + "/" + name);
    }
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root() + "/run", ec)) {
    if (entry.path().filename() != "runtime")
      found.push_back("run/" + entry.path().filename().string());
  }
  return found;
}

void QuaiTest::expect_store_clean() {
  EXPECT_EQ(quai({"ps", "-aq"}).out, "");
  auto check = quai({"system", "check"});
  EXPECT_EQ(check.exit_code, 0) << check.both();
  EXPECT_EQ(check.out, "No problems found\n");
  EXPECT_TRUE(eventually([&] { return leftovers().empty(); }))
      << ::testing::PrintToString(leftovers());
}

std::vector<std::string> QuaiTest::image_ids() const {
  auto ids = split_lines(quai({"images", "-q"}).out);
  std::ranges::sort(ids);
  return ids;
}

}  // namespace quai::test
