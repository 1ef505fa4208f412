#include "image/image_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "sys/file_io.h"
#include "sys/fs.h"

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

}  // namespace
}  // namespace quai::image
