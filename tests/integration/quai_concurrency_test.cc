// Issue 3, acceptance 3: several quai commands at once on one store. 20 `run --rm` at
// once, 20 detached runs with names then 20 `rm -f` at once: every one succeeds, ids and
// names are distinct, and afterwards nothing is listed, the store checks clean and nothing
// is left (mounts, containers/, names/, tmp/). Two runs claiming one name: one wins.

#include <set>
#include <thread>

#include "quai_env.h"

namespace quai::test {
namespace {

constexpr int kParallel = 20;

class QuaiConcurrency : public QuaiTest {
 protected:
  // Runs every command at once (one thread each) and returns their results in order.
  std::vector<CommandResult> at_once(const std::vector<std::vector<std::string>>& commands) {
    std::vector<CommandResult> results(commands.size());
    std::vector<std::thread> threads;
    for (size_t i = 0; i < commands.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = quai(commands[i], "", 120); });
    }
    for (auto& thread : threads) thread.join();
    return results;
  }
};

TEST_F(QuaiConcurrency, TwentyRunRmAtOnceAllSucceed) {
  std::vector<std::vector<std::string>> commands;
  for (int i = 0; i < kParallel; ++i) {
    commands.push_back({"run", "--rm", "busybox", "hostname"});
  }
  std::set<std::string> hostnames;
  for (const auto& result : at_once(commands)) {
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.err, "");
    hostnames.insert(result.out);
  }
  EXPECT_EQ(hostnames.size(), size_t{kParallel}) << "each container has its own id";
  expect_store_clean();
}

TEST_F(QuaiConcurrency, TwentyDetachedRunsThenTwentyRemovalsAtOnce) {
  std::vector<std::vector<std::string>> runs, removals;
  for (int i = 0; i < kParallel; ++i) {
    std::string name = "c" + std::to_string(i);
    runs.push_back({"run", "-d", "--name", name, "busybox", "sleep", "60"});
    removals.push_back({"rm", "-f", name});
  }
  std::set<std::string> ids;
  for (const auto& result : at_once(runs)) {
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out.size(), 65u) << result.out;
    ids.insert(result.out);
  }
  EXPECT_EQ(ids.size(), size_t{kParallel});
  auto listed = split_lines(quai({"ps", "--format", "{{.Names}} {{.State}}"}).out);
  std::set<std::string> running(listed.begin(), listed.end());
  for (int i = 0; i < kParallel; ++i) {
    EXPECT_TRUE(running.contains("c" + std::to_string(i) + " running")) << "c" << i;
  }
  EXPECT_EQ(listed.size(), size_t{kParallel});

  auto removed = at_once(removals);
  for (int i = 0; i < kParallel; ++i) {
    EXPECT_EQ(removed[i].exit_code, 0) << removed[i].err;
    EXPECT_EQ(removed[i].out, "c" + std::to_string(i) + "\n");
  }
  expect_store_clean();
}

TEST_F(QuaiConcurrency, TwoRunsWithOneNameOnlyOneWins) {
  for (int round = 0; round < 5; ++round) {
    auto results = at_once({{"run", "-d", "--name", "same", "busybox", "sleep", "60"},
                            {"run", "-d", "--name", "same", "busybox", "sleep", "60"}});
    int winners = 0;
    for (const auto& result : results) {
      if (result.exit_code == 0) {
        ++winners;
        continue;
      }
      EXPECT_EQ(result.exit_code, 125) << result.err;
      EXPECT_EQ(result.err.rfind("quai: error: Conflict. The container name \"/same\" is already "
                                 "in use by container \"",
                                 0),
                0u)
          << result.err;
    }
    EXPECT_EQ(winners, 1);
    EXPECT_EQ(split_lines(quai({"ps", "-aq"}).out).size(), 1u);
    EXPECT_EQ(quai({"rm", "-f", "same"}).exit_code, 0);
  }
  expect_store_clean();
}

}  // namespace
}  // namespace quai::test
