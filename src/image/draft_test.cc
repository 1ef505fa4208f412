#include "image/draft.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

class ImageDraftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quai-draft-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    store_.emplace(ImageStore::open(dir_ + "/store").value());
    ASSERT_TRUE(sys::mkdir_p(dir_ + "/upper/etc"));
    ASSERT_TRUE(sys::write_file(dir_ + "/upper/etc/greeting", "hello\n"));
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }

  sys::UniqueFd upper() const {
    return sys::UniqueFd(::open((dir_ + "/upper").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }
  ImageRecord find(std::string_view name) const {
    auto image = store_->find(name);
    EXPECT_TRUE(image) << image.error().to_string();
    return image ? *image : ImageRecord{};
  }
  Json config_document(const ImageRecord& image) const {
    return parse_json(store_->config_json(image).value(), "config").value();
  }

  std::string dir_;
  std::optional<ImageStore> store_;
};

TEST_F(ImageDraftTest, ScratchWithOneLayerBecomesAnImageWithThatLayer) {
  auto draft = ImageDraft::scratch();
  draft.container_config()["Cmd"] = {"cat", "/etc/greeting"};
  auto layer = draft.add_layer(*store_, upper().get(), "COPY greeting /etc/");
  ASSERT_TRUE(layer) << layer.error().to_string();
  auto committed = draft.commit(*store_, {"draft:1"});
  ASSERT_TRUE(committed) << committed.error().to_string();

  auto image = find("draft:1");
  EXPECT_EQ(image.id, committed->id);
  auto config = store_->config(image).value();
  EXPECT_EQ(config.diff_ids, std::vector<Digest>{layer->diff_id});
  EXPECT_EQ(config.config.cmd, (std::vector<std::string>{"cat", "/etc/greeting"}));
  ASSERT_EQ(config.history.size(), 1u);
  EXPECT_EQ(config.history[0].created_by, "COPY greeting /etc/");
  EXPECT_FALSE(config.history[0].empty_layer);
  auto manifest = store_->manifest(image).value();
  ASSERT_EQ(manifest.layers.size(), 1u);
  EXPECT_EQ(manifest.layers[0].media_type, media_type::kOciLayer);
  EXPECT_EQ(manifest.layers[0].digest, layer->diff_id) << "stored uncompressed";
  EXPECT_EQ(sys::read_file(layer->path + "/etc/greeting").value_or(""), "hello\n");
  auto check = store_->check({});
  ASSERT_TRUE(check);
  EXPECT_EQ(check->problems, std::vector<std::string>{});
}

TEST_F(ImageDraftTest, FromImageKeepsLayersAndFieldsItDoesNotKnow) {
  auto base = ImageDraft::scratch();
  base.container_config()["Healthcheck"] = {{"Test", {"CMD", "true"}}, {"Retries", 3}};
  ASSERT_TRUE(base.add_layer(*store_, upper().get(), "COPY greeting /etc/"));
  auto parent = base.commit(*store_, {"draft:base"});
  ASSERT_TRUE(parent) << parent.error().to_string();

  auto draft = ImageDraft::from_image(*store_, *parent);
  ASSERT_TRUE(draft) << draft.error().to_string();
  EXPECT_EQ(draft->layers().size(), 1u);
  draft->container_config()["Env"] = {"A=1"};
  draft->add_empty_layer_history("ENV A=1");
  auto child = draft->commit(*store_, {"draft:child"});
  ASSERT_TRUE(child) << child.error().to_string();

  Json doc = config_document(find("draft:child"));
  EXPECT_EQ(doc["config"]["Healthcheck"]["Retries"], 3);
  EXPECT_EQ(doc["config"]["Env"], Json({"A=1"}));
  EXPECT_EQ(doc["rootfs"]["diff_ids"], config_document(*parent)["rootfs"]["diff_ids"]);
  ASSERT_EQ(doc["history"].size(), 2u);
  EXPECT_EQ(doc["history"][1]["created_by"], "ENV A=1");
  EXPECT_EQ(doc["history"][1]["empty_layer"], true);
  EXPECT_NE(child->id, parent->id);
}

}  // namespace
}  // namespace quai::image
