#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <atomic>
#include <set>
#include <thread>

#include "store/ids.h"
#include "store/json_file.h"
#include "store/lock.h"
#include "store/temp_area.h"
#include "sys/fs.h"

namespace quai::store {
namespace {

struct ScratchDir {
  std::string path;
  ScratchDir() {
    char tmpl[] = "/tmp/quai-store-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~ScratchDir() { (void)sys::remove_tree(path); }
};

TEST(FileLock, ExclusiveLockMakesTryAcquireBusy) {
  ScratchDir scratch;
  auto held = FileLock::acquire(scratch.path + "/lock", LockMode::Exclusive);
  ASSERT_TRUE(held) << held.error().to_string();
  auto second = FileLock::try_acquire(scratch.path + "/lock", LockMode::Shared);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Errc::Busy);
}

TEST(FileLock, SharedLocksCoexist) {
  ScratchDir scratch;
  auto first = FileLock::acquire(scratch.path, LockMode::Shared);
  auto second = FileLock::try_acquire(scratch.path, LockMode::Shared);
  EXPECT_TRUE(first && second);
}

TEST(FileLock, LockDirectoryOfAMissingPathIsNotFoundAndCreatesNothing) {
  ScratchDir scratch;
  auto lock = FileLock::lock_directory(scratch.path + "/gone", LockMode::Exclusive);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code(), Errc::NotFound);
  EXPECT_FALSE(sys::path_exists(scratch.path + "/gone"));
}

TEST(Ids, RandomIdsAreLongHexAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string id = random_id();
    EXPECT_EQ(id.size(), 64u);
    EXPECT_TRUE(is_id_prefix(id));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(short_id(*seen.begin()).size(), 12u);
  EXPECT_FALSE(is_id_prefix("ABC"));
  EXPECT_FALSE(is_id_prefix(""));
}

TEST(TempArea, SweepRemovesOnlyUnlockedLeftovers) {
  ScratchDir scratch;
  TempArea area(scratch.path + "/tmp");
  auto live = area.make("live");
  ASSERT_TRUE(live);
  ASSERT_TRUE(sys::mkdir_p(area.dir() + "/crashed-abc/deep"));
  auto removed = area.sweep();
  ASSERT_TRUE(removed);
  EXPECT_EQ(*removed, 1);
  EXPECT_TRUE(sys::is_directory(live->path()));
  EXPECT_FALSE(sys::path_exists(area.dir() + "/crashed-abc"));
}

// Every command sweeps tmp/ as it starts: a sweep must never take a work dir that another
// command has just made and not yet locked.
TEST(TempArea, WorkDirsSurviveSweepsRunningAtTheSameTime) {
  ScratchDir scratch;
  TempArea area(scratch.path + "/tmp");
  ASSERT_TRUE(sys::mkdir_p(area.dir()));
  std::atomic<bool> done = false;
  std::thread sweeper([&] {
    while (!done) (void)area.sweep();
  });
  int lost = 0;
  for (int i = 0; i < 2000; ++i) {
    auto work = area.make("w");
    if (!work || ::mkdir((work->path() + "/inside").c_str(), 0700) != 0) ++lost;
  }
  done = true;
  sweeper.join();
  EXPECT_EQ(lost, 0);
}

TEST(TempArea, WorkDirIsRemovedUnlessCommitted) {
  ScratchDir scratch;
  TempArea area(scratch.path + "/tmp");
  std::string abandoned;
  {
    auto work = area.make("a");
    ASSERT_TRUE(work);
    abandoned = work->path();
  }
  EXPECT_FALSE(sys::path_exists(abandoned));
  auto work = area.make("b");
  ASSERT_TRUE(work);
  ASSERT_TRUE(work->commit_to(scratch.path + "/done"));
  EXPECT_TRUE(sys::is_directory(scratch.path + "/done"));
  auto again = area.make("c");
  auto clash = again->commit_to(scratch.path + "/done");
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code(), Errc::AlreadyExists);
}

TEST(JsonFile, RoundTripsAndNamesTheFileWhenCorrupt) {
  ScratchDir scratch;
  std::string path = scratch.path + "/doc.json";
  ASSERT_TRUE(write_json_file(path, Json{{"a", 1}}));
  auto back = read_json_file(path);
  ASSERT_TRUE(back);
  EXPECT_EQ((*back)["a"], 1);
  ASSERT_TRUE(sys::write_file_atomic(path, "{broken"));
  auto broken = read_json_file(path);
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), Errc::Corrupt);
  EXPECT_NE(broken.error().to_string().find(path), std::string::npos);
  EXPECT_EQ(read_json_file(scratch.path + "/missing").error().code(), Errc::NotFound);
}

}  // namespace
}  // namespace quai::store
