#include "image/image_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/layer_test_support.h"
#include "store/json_file.h"
#include "store/lock.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/process.h"

namespace quai::image {
namespace {

class ImageStoreCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quai-image-store-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store_.emplace(ImageStore::open(dir_).value());
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }

  std::vector<std::string> problems() {
    auto report = store_->check({});
    EXPECT_TRUE(report) << report.error().to_string();
    return report ? report->problems : std::vector<std::string>{"check failed"};
  }

  std::string dir_;
  std::optional<ImageStore> store_;
};

TEST_F(ImageStoreCheck, AnEmptyStoreHasNoProblems) {
  EXPECT_EQ(problems(), std::vector<std::string>{});
}

// A command killed while replacing the index leaves its half-written replacement.
TEST_F(ImageStoreCheck, HalfWrittenIndexIsReportedAndCollected) {
  ASSERT_TRUE(sys::write_file_atomic(dir_ + "/images/index.json.tmp", "{\"ima"));
  EXPECT_EQ(problems(),
            std::vector<std::string>{"half-written file " + dir_ + "/images/index.json.tmp"});
  auto gc = store_->collect_garbage({});
  ASSERT_TRUE(gc) << gc.error().to_string();
  EXPECT_FALSE(sys::path_exists(dir_ + "/images/index.json.tmp"));
  EXPECT_EQ(problems(), std::vector<std::string>{});
}

TEST_F(ImageStoreCheck, UnlockedWorkInTmpIsReported) {
  ASSERT_TRUE(sys::mkdir_p(dir_ + "/tmp/load-abc"));
  EXPECT_EQ(problems(), std::vector<std::string>{"leftover tmp/load-abc"});
  auto live = store_->temp().make("live");
  ASSERT_TRUE(live);
  EXPECT_EQ(problems(), std::vector<std::string>{"leftover tmp/load-abc"});
}

// A layer a pull adds with LayerSync::Deferred: visible before it is synced, trusted
// unsynced only in the boot that wrote it.
class DeferredLayer : public ImageStoreCheck {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "unpacking a layer owned by root needs root";
    ImageStoreCheck::SetUp();
    std::string tar = testing::TarBuilder().file("etc/greeting", "hello").finish();
    blob_ = Descriptor{std::string(media_type::kOciLayer),
                       store_->blobs().put(tar).value(),
                       static_cast<int64_t>(tar.size()),
                       {},
                       {}};
  }

  // Added from the stored blob as a download's stream would be (uncompressed: the blob's
  // digest is its diff_id).
  void add_deferred() {
    auto fd = store_->blobs().open_blob(blob_.digest);
    ASSERT_TRUE(fd) << fd.error().to_string();
    auto added = store_->add_layer(
        fd->get(), blob_, blob_.digest, [] { return ok(); }, LayerSync::Deferred);
    ASSERT_TRUE(added) << added.error().to_string();
  }
  std::string layer_file() const { return dir_ + "/layers/" + blob_.digest.hex() + "/layer.json"; }
  std::string greeting() const {
    return dir_ + "/layers/" + blob_.digest.hex() + "/diff/etc/greeting";
  }
  mode_t layer_file_mode() const {
    struct stat st {};
    EXPECT_EQ(::stat(layer_file().c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  // What a restart before any sync looks like: the layer was written in another boot.
  void pretend_written_in_another_boot() {
    Json meta = store::read_json_file(layer_file()).value();
    meta["boot_id"] = "00000000-0000-0000-0000-000000000000";
    ASSERT_TRUE(sys::write_file_atomic(layer_file(), meta.dump(), 0400));
  }

  Descriptor blob_;
};

TEST_F(DeferredLayer, IsUsableAtOnceAndWritableOnceSynced) {
  add_deferred();
  EXPECT_EQ(layer_file_mode(), 0400);
  EXPECT_EQ(store::read_json_file(layer_file()).value().value("boot_id", ""), sys::boot_id());
  EXPECT_TRUE(store_->has_layer(blob_.digest));
  std::vector<std::string> orphans = {"orphan blob sha256:" + blob_.digest.hex(),
                                      "orphan layer sha256:" + blob_.digest.hex()};
  EXPECT_EQ(problems(), orphans) << "whole, though not synced";
  ASSERT_TRUE(store_->sync_deferred_layers());
  EXPECT_EQ(layer_file_mode(), 0600);
  EXPECT_TRUE(store_->has_layer(blob_.digest));
}

TEST_F(DeferredLayer, FromAnEarlierBootIsUnpackedAgainFromItsBlob) {
  add_deferred();
  pretend_written_in_another_boot();
  ASSERT_EQ(::truncate(greeting().c_str(), 0), 0);  // what the crash lost
  EXPECT_FALSE(store_->has_layer(blob_.digest));
  auto again = store_->ensure_layer(blob_, blob_.digest);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(sys::read_file(greeting()).value_or(""), "hello");
  EXPECT_EQ(layer_file_mode(), 0600) << "unpacked again with a sync";
  EXPECT_FALSE(store::read_json_file(layer_file()).value().contains("boot_id"));
}

TEST_F(DeferredLayer, SyncedBeforeTheRestartIsKept) {
  add_deferred();
  ASSERT_TRUE(store_->sync_deferred_layers());
  Json meta = store::read_json_file(layer_file()).value();
  meta["boot_id"] = "00000000-0000-0000-0000-000000000000";
  ASSERT_TRUE(sys::write_file_atomic(layer_file(), meta.dump(), 0600));
  EXPECT_TRUE(store_->has_layer(blob_.digest));
}

TEST_F(DeferredLayer, IsSyncedInTheBackgroundUnderTheContentLock) {
  add_deferred();
  store_->sync_deferred_layers_in_background();
  // The worker holds locks/gc shared until it is done: an exclusive lock waits for it.
  auto idle = store::FileLock::acquire(dir_ + "/locks/gc", store::LockMode::Exclusive);
  ASSERT_TRUE(idle) << idle.error().to_string();
  EXPECT_EQ(layer_file_mode(), 0600);
}

}  // namespace
}  // namespace quai::image
