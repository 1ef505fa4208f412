#include "registry/storage.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "sys/fs.h"

namespace quai::registry {
namespace {

using image::Digest;

class StorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/quai-registry-storage-XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
    storage_.emplace(*Storage::open(dir_));
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }

  Digest blob(const std::string& repo, const std::string& data) {
    Digest digest = *storage_->blobs().put(data);
    EXPECT_TRUE(storage_->link_blob(repo, digest));
    return digest;
  }

  std::string dir_;
  std::optional<Storage> storage_;
};

TEST_F(StorageTest, RepositoriesNestAndListSorted) {
  blob("team/app", "a");
  blob("team", "b");
  blob("zeta", "c");
  EXPECT_EQ(*storage_->repositories(), (std::vector<std::string>{"team", "team/app", "zeta"}));
  EXPECT_EQ(storage_->tags("nothing").error().code(), Errc::NotFound);
}

TEST_F(StorageTest, GarbageCollectionKeepsWhatManifestsReachAndDropsTheRest) {
  Digest config = blob("app", "{}");
  Digest layer = blob("app", "layer");
  Digest orphan = blob("app", "orphan");
  std::string manifest =
      fmt::format(R"({{"schemaVersion":2,"config":{{"mediaType":"c","digest":"{}","size":2}},)"
                  R"("layers":[{{"mediaType":"l","digest":"{}","size":5}}]}})",
                  config.str(), layer.str());
  ASSERT_TRUE(storage_->put_manifest("app", manifest, "application/vnd.oci.image.manifest.v1+json",
                                     "v1", std::nullopt));
  GcReport dry = *storage_->collect_garbage(true);
  EXPECT_EQ(dry.blobs_removed, 1);
  EXPECT_TRUE(storage_->blobs().has(orphan)) << "a dry run removes nothing";
  GcReport report = *storage_->collect_garbage(false);
  EXPECT_EQ(report.blobs_removed, 1);
  EXPECT_EQ(report.bytes_freed, 6u);
  EXPECT_FALSE(storage_->has_blob("app", orphan));
  EXPECT_TRUE(storage_->has_blob("app", layer));
  EXPECT_TRUE(storage_->manifest("app", "v1"));

  ASSERT_TRUE(storage_->delete_manifest("app", Digest::of(manifest).str()));
  EXPECT_EQ(storage_->collect_garbage(false)->blobs_removed, 3);
  EXPECT_EQ(*storage_->tags("app"), std::vector<std::string>{});
}

}  // namespace
}  // namespace quai::registry
