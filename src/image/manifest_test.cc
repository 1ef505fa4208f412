#include <gtest/gtest.h>

#include "base/json.h"
#include "image/manifest.h"

namespace quai::image {
namespace {

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');

Json descriptor(std::string_view type, const std::string& digest, int64_t size) {
  return Json{{"mediaType", type}, {"digest", digest}, {"size", size}};
}

Json oci_manifest() {
  return Json{{"schemaVersion", 2},
              {"mediaType", media_type::kOciManifest},
              {"config", descriptor(media_type::kOciConfig, kDigestA, 1234)},
              {"layers", {descriptor(media_type::kOciLayerGzip, kDigestB, 5678)}}};
}

std::string error_of(const Result<Manifest>& m) { return m ? "no error" : m.error().to_string(); }

TEST(Manifest, ReadsOciAndDockerManifests) {
  auto m = parse_manifest(oci_manifest().dump(), "manifest");
  ASSERT_TRUE(m) << m.error().to_string();
  EXPECT_EQ(m->config.digest.str(), kDigestA);
  ASSERT_EQ(m->layers.size(), 1u);
  EXPECT_EQ(m->layers[0].size, 5678);
  EXPECT_TRUE(is_layer_media_type(m->layers[0].media_type));
  Json docker = oci_manifest();
  docker["mediaType"] = media_type::kDockerManifest;
  EXPECT_TRUE(parse_manifest(docker.dump(), "manifest"));
}

TEST(Manifest, ErrorsNameTheDocumentAndField) {
  Json m = oci_manifest();
  m["schemaVersion"] = 1;
  EXPECT_EQ(error_of(parse_manifest(m.dump(), "manifest x")),
            "manifest x: schemaVersion: 1 is not supported (2 is)");
  m = oci_manifest();
  m["layers"][0]["digest"] = "sha256:1234";
  EXPECT_NE(error_of(parse_manifest(m.dump(), "manifest x"))
                .find("manifest x: layers[0].digest: invalid digest"),
            std::string::npos);
  m = oci_manifest();
  m["layers"][0]["size"] = -5;
  EXPECT_EQ(error_of(parse_manifest(m.dump(), "m")), "m: layers[0].size: must not be negative");
  m = oci_manifest();
  m["mediaType"] = media_type::kOciIndex;
  EXPECT_NE(error_of(parse_manifest(m.dump(), "m")).find("is not an image manifest"),
            std::string::npos);
  EXPECT_NE(error_of(parse_manifest("[1]", "m")).find("m: expected a JSON object"),
            std::string::npos);
}

TEST(Manifest, OversizedDocumentIsRefusedBeforeParsing) {
  std::string huge(kMaxDocumentSize + 1, ' ');
  auto m = parse_manifest(huge, "manifest");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().to_string().find("is larger than the"), std::string::npos);
}

TEST(Index, ReadsPlatforms) {
  Json index = {
      {"schemaVersion", 2},
      {"mediaType", media_type::kDockerManifestList},
      {"manifests",
       {{{"mediaType", media_type::kDockerManifest},
         {"digest", kDigestA},
         {"size", 10},
         {"platform", {{"architecture", "amd64"}, {"os", "linux"}}}},
        {{"mediaType", media_type::kDockerManifest},
         {"digest", kDigestB},
         {"size", 10},
         {"platform", {{"architecture", "arm64"}, {"os", "linux"}, {"variant", "v8"}}}}}}};
  auto parsed = parse_index(index.dump(), "index");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  ASSERT_EQ(parsed->manifests.size(), 2u);
  EXPECT_EQ(parsed->manifests[1].platform->variant, "v8");
}

TEST(ImageConfig, ReadsRunSettingsAndLayers) {
  Json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"config",
                  {{"User", "1000"},
                   {"Env", {"PATH=/bin", "A=1"}},
                   {"Cmd", {"sh"}},
                   {"WorkingDir", "/app"},
                   {"ExposedPorts", {{"80/tcp", Json::object()}}},
                   {"Volumes", {{"/data", Json::object()}}},
                   {"Labels", {{"k", "v"}}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", {kDigestA}}}},
                 {"history", {{{"created_by", "import"}, {"empty_layer", false}}}}};
  auto parsed = parse_image_config(config.dump(), "config");
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(parsed->config.user, "1000");
  EXPECT_EQ(parsed->config.exposed_ports, std::vector<std::string>{"80/tcp"});
  EXPECT_EQ(parsed->config.volumes, std::vector<std::string>{"/data"});
  EXPECT_EQ(parsed->diff_ids.at(0).str(), kDigestA);
  EXPECT_EQ(parsed->history.at(0).created_by, "import");
}

TEST(ImageConfig, HostileValuesAreRefusedWithTheField) {
  Json config = {{"architecture", "amd64"},
                 {"os", "linux"},
                 {"config", {{"Env", {"OK=1", "=no-name"}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", Json::array()}}}};
  auto parsed = parse_image_config(config.dump(), "config c");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().to_string(), "config c: config.Env[1]: expected NAME=value");
  config["config"]["Env"] = {"OK=1"};
  config["config"]["User"] = 0;
  EXPECT_EQ(parse_image_config(config.dump(), "c").error().to_string(),
            "c: config.User: expected a string");
  config["config"].erase("User");
  config["rootfs"]["type"] = "tarball";
  EXPECT_EQ(parse_image_config(config.dump(), "c").error().to_string(),
            "c: rootfs.type: must be \"layers\"");
}

}  // namespace
}  // namespace quai::image
