#include "image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "base/json.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

enum class Kind { File, Symlink, Hardlink };

struct Member {
  std::string name;
  std::string data;  // the content, or the link's target
  Kind kind = Kind::File;
};

// A tar of `members` in a memfd, read from the start; gzip-compressed when asked.
int tar_of(const std::vector<Member>& members, bool gzip = false) {
  int fd = ::memfd_create("archive", MFD_CLOEXEC);
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_open_fd(a, fd);
  for (const auto& m : members) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_perm(e, 0644);
    if (m.kind == Kind::File) {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_size(e, static_cast<la_int64_t>(m.data.size()));
    } else if (m.kind == Kind::Symlink) {
      archive_entry_set_filetype(e, AE_IFLNK);
      archive_entry_set_symlink(e, m.data.c_str());
    } else {
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_hardlink(e, m.data.c_str());
    }
    EXPECT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (m.kind == Kind::File) archive_write_data(a, m.data.data(), m.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

std::string gzip(const std::string& data) {
  int fd = ::memfd_create("gz", MFD_CLOEXEC);
  archive* a = archive_write_new();
  archive_write_set_format_raw(a);
  archive_write_add_filter_gzip(a);
  archive_write_open_fd(a, fd);
  archive_entry* e = archive_entry_new();
  archive_entry_set_filetype(e, AE_IFREG);
  archive_write_header(a, e);
  archive_write_data(a, data.data(), data.size());
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  ::lseek(fd, 0, SEEK_SET);
  std::string out = sys::read_all(fd).value();
  ::close(fd);
  return out;
}

std::string hex_of(const std::string& data) { return Digest::of(data).hex(); }

// Two "layers": their bytes are never unpacked here, only hashed.
const std::string kLayer1 = std::string(3000, 'a') + "layer one";
const std::string kLayer2 = std::string(5000, 'b') + "layer two";

std::string config_json(const std::vector<std::string>& layers, std::string arch = "amd64") {
  Json diff_ids = Json::array();
  for (const auto& layer : layers) diff_ids.push_back(Digest::of(layer).str());
  return Json{{"architecture", arch},
              {"os", "linux"},
              {"config", {{"Cmd", {"sh"}}}},
              {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
      .dump();
}

// What `docker save` wrote before Docker 25: <id>/layer.tar, <config-hex>.json, manifest last.
std::vector<Member> docker_archive(const std::string& config, const std::string& layer2_bytes,
                                   const std::string& tag = "busybox:latest") {
  Json manifest = Json::array({{{"Config", hex_of(config) + ".json"},
                                {"RepoTags", {tag}},
                                {"Layers", {"l1/layer.tar", "l2/layer.tar"}}}});
  return {{"l1/", ""},  // a directory entry is written as a file named "l1/" here: ignored
          {"l1/layer.tar", kLayer1},
          {"l1/VERSION", "1.0"},
          {"l2/layer.tar", layer2_bytes},
          {hex_of(config) + ".json", config},
          {"repositories", "{}"},
          {"manifest.json", manifest.dump()}};
}

class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/quai-archive.XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
    store_.emplace(BlobStore::open(root_).value());
  }
  void TearDown() override { ASSERT_TRUE(sys::remove_tree(root_)); }

  Result<LoadedArchive> load(const std::vector<Member>& members, bool compressed = false,
                             const LoadOptions& options = {}) {
    int fd = tar_of(members, compressed);
    auto loaded = load_archive(fd, *store_, "test.tar", options);
    ::close(fd);
    return loaded;
  }
  Result<LoadedArchive> reload(ArchiveFormat format, const std::vector<ArchiveImage>& images) {
    int fd = ::memfd_create("saved", MFD_CLOEXEC);
    auto saved = save_archive(format, images, *store_, fd);
    if (!saved) {
      ::close(fd);
      return std::unexpected(saved.error());
    }
    ::lseek(fd, 0, SEEK_SET);
    saved_ = sys::read_all(fd).value();
    ::lseek(fd, 0, SEEK_SET);
    auto loaded = load_archive(fd, *store_, "saved.tar");
    ::close(fd);
    return loaded;
  }
  size_t blob_count() { return list_blobs().size(); }
  std::vector<std::string> list_blobs() {
    std::vector<std::string> out;
    FILE* pipe = ::popen(("ls " + root_ + "/blobs/sha256").c_str(), "r");
    char line[200];
    while (fgets(line, sizeof line, pipe) != nullptr) out.emplace_back(line);
    ::pclose(pipe);
    return out;
  }
  Manifest manifest_of(const ArchiveImage& image) {
    return parse_manifest(store_->read(image.manifest).value(), "manifest").value();
  }
  void expect_error(const Result<LoadedArchive>& loaded, Errc code, const std::string& text) {
    ASSERT_FALSE(loaded) << "loaded an archive that should be refused";
    EXPECT_EQ(loaded.error().code(), code) << loaded.error().to_string();
    EXPECT_NE(loaded.error().to_string().find(text), std::string::npos)
        << loaded.error().to_string();
    EXPECT_NE(loaded.error().to_string().find("load archive \"test.tar\""), std::string::npos);
    EXPECT_EQ(blob_count(), 0u) << "a failed load leaves no blob behind: "
                                << (list_blobs().empty() ? "" : list_blobs()[0]);
  }

  std::string root_;
  std::optional<BlobStore> store_;
  std::string saved_;
};

TEST_F(ArchiveTest, LoadsADockerArchiveAndMakesASchema2Manifest) {
  std::string config = config_json({kLayer1, kLayer2});
  auto loaded = load(docker_archive(config, gzip(kLayer2)));
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->format, ArchiveFormat::DockerArchive);
  ASSERT_EQ(loaded->images.size(), 1u);
  EXPECT_EQ(loaded->images[0].names, std::vector<std::string>{"docker.io/library/busybox:latest"});
  Manifest m = manifest_of(loaded->images[0]);
  EXPECT_EQ(m.media_type, media_type::kDockerManifest);
  EXPECT_EQ(m.config.digest, Digest::of(config));
  EXPECT_EQ(m.config.media_type, media_type::kDockerConfig);
  ASSERT_EQ(m.layers.size(), 2u);
  EXPECT_EQ(m.layers[0].media_type, media_type::kDockerLayer);
  EXPECT_EQ(m.layers[0].digest, Digest::of(kLayer1));
  EXPECT_EQ(m.layers[1].media_type, media_type::kDockerLayerGzip) << "a gzipped layer.tar";
  EXPECT_EQ(m.layers[1].digest, Digest::of(gzip(kLayer2)));
  EXPECT_EQ(blob_count(), 4u) << "manifest, config, two layers; manifest.json and the rest go";
}

TEST_F(ArchiveTest, LoadsDocker25LayoutWithBlobsAndSymlinks) {
  std::string config = config_json({kLayer1, kLayer2});
  Json manifest = Json::array({{{"Config", "blobs/sha256/" + hex_of(config)},
                                {"RepoTags", {"example.com/team/app:v1"}},
                                {"Layers", {"blobs/sha256/" + hex_of(kLayer1), "old/layer.tar"}}}});
  std::vector<Member> members = {
      {"blobs/sha256/" + hex_of(kLayer1), kLayer1},
      {"blobs/sha256/" + hex_of(kLayer2), kLayer2},
      {"old/layer.tar", "../blobs/sha256/" + hex_of(kLayer2), Kind::Symlink},
      {"blobs/sha256/" + hex_of(config), config},
      {"hard.json", "blobs/sha256/" + hex_of(config), Kind::Hardlink},
      {"index.json", R"({"schemaVersion":2,"manifests":[]})"},
      {"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
      {"manifest.json", manifest.dump()}};
  auto loaded = load(members, /*compressed=*/true);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->format, ArchiveFormat::DockerArchive);
  EXPECT_EQ(loaded->images[0].names, std::vector<std::string>{"example.com/team/app:v1"});
  EXPECT_EQ(manifest_of(loaded->images[0]).layers[1].digest, Digest::of(kLayer2));
}

// An OCI layout whose index.json points at a nested index of two platforms.
std::vector<Member> oci_archive(const Json& annotations, std::string* amd64_manifest = nullptr) {
  std::string config = config_json({kLayer1});
  std::string arm_config = config_json({kLayer2}, "arm64");
  auto manifest_for = [](const std::string& cfg, const std::string& layer) {
    return Json{{"schemaVersion", 2},
                {"mediaType", media_type::kOciManifest},
                {"config",
                 {{"mediaType", media_type::kOciConfig},
                  {"digest", Digest::of(cfg).str()},
                  {"size", cfg.size()}}},
                {"layers",
                 {{{"mediaType", media_type::kOciLayer},
                   {"digest", Digest::of(layer).str()},
                   {"size", layer.size()}}}}}
        .dump();
  };
  std::string amd = manifest_for(config, kLayer1);
  std::string arm = manifest_for(arm_config, kLayer2);
  if (amd64_manifest != nullptr) *amd64_manifest = amd;
  auto entry = [](const std::string& doc, std::string_view type, const char* arch) {
    Json d = {{"mediaType", type}, {"digest", Digest::of(doc).str()}, {"size", doc.size()}};
    if (arch != nullptr) d["platform"] = {{"architecture", arch}, {"os", "linux"}};
    return d;
  };
  std::string nested = Json{
      {"schemaVersion", 2},
      {"mediaType", media_type::kOciIndex},
      {"manifests",
       {entry(arm, media_type::kOciManifest, "arm64"),
        entry(amd, media_type::kOciManifest,
              "amd64")}}}.dump();
  Json top_entries = Json::array();
  for (const auto& a : annotations) {
    Json e = entry(nested, media_type::kOciIndex, nullptr);
    e["annotations"] = a;
    top_entries.push_back(e);
  }
  Json index = {{"schemaVersion", 2}, {"manifests", top_entries}};
  std::vector<Member> members = {{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
                                 {"index.json", index.dump()}};
  for (const auto& blob : {config, arm_config, kLayer1, kLayer2, amd, arm, nested})
    members.push_back({"blobs/sha256/" + hex_of(blob), blob});
  return members;
}

TEST_F(ArchiveTest, LoadsAnOciArchivePickingTheAmd64ManifestAndItsNames) {
  Json annotations = Json::array({{{"org.opencontainers.image.ref.name", "1.0"}},
                                  {{"org.opencontainers.image.ref.name", "quay.io/org/app:2.0"}},
                                  {{"io.containerd.image.name", "docker.io/library/app:3.0"},
                                   {"org.opencontainers.image.ref.name", "3.0"}}});
  std::string amd;
  LoadOptions options;
  options.tag_repository = "example.com/app";
  auto loaded = load(oci_archive(annotations, &amd), false, options);
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(loaded->format, ArchiveFormat::OciArchive);
  ASSERT_EQ(loaded->images.size(), 1u) << "three names of one image";
  EXPECT_EQ(loaded->images[0].manifest, Digest::of(amd));
  EXPECT_EQ(loaded->images[0].names,
            (std::vector<std::string>{"example.com/app:1.0", "quay.io/org/app:2.0",
                                      "docker.io/library/app:3.0"}));
  EXPECT_EQ(blob_count(), 3u) << "arm64's blobs and the indexes were not kept";

  auto unnamed = load(oci_archive(Json::array({{{"org.opencontainers.image.ref.name", "1.0"}}})));
  ASSERT_TRUE(unnamed) << unnamed.error().to_string();
  EXPECT_TRUE(unnamed->images[0].names.empty()) << "a bare tag without a repository";
}

TEST_F(ArchiveTest, BlobsThatWereThereBeforeStay) {
  std::string config = config_json({kLayer1, kLayer2});
  Digest had = store_->put(kLayer1).value();
  std::vector<Member> members = docker_archive(config, kLayer2);
  members.push_back({"unused", std::string(kLayer1)});
  members.push_back({"unused2", "not used by any image"});
  ASSERT_TRUE(load(members));
  EXPECT_TRUE(store_->has(had));
  EXPECT_FALSE(store_->has(Digest::of("not used by any image")));
  members[1].data = "broken layer";
  ASSERT_FALSE(load(members));
  EXPECT_TRUE(store_->has(had)) << "a failed load removes only what it created";
}

TEST_F(ArchiveTest, RoundTripsThroughBothFormats) {
  std::string config = config_json({kLayer1, kLayer2});
  auto loaded = load(docker_archive(config, gzip(kLayer2)));
  ASSERT_TRUE(loaded) << loaded.error().to_string();

  auto as_oci = reload(ArchiveFormat::OciArchive, loaded->images);
  ASSERT_TRUE(as_oci) << as_oci.error().to_string();
  EXPECT_EQ(as_oci->format, ArchiveFormat::OciArchive);
  EXPECT_EQ(as_oci->images[0].names, loaded->images[0].names);
  Manifest oci = manifest_of(as_oci->images[0]);
  EXPECT_EQ(oci.media_type, media_type::kOciManifest);
  EXPECT_EQ(oci.config.media_type, media_type::kOciConfig);
  EXPECT_EQ(oci.layers[1].media_type, media_type::kOciLayerGzip);
  EXPECT_EQ(oci.config.digest, Digest::of(config));
  std::string first = saved_;
  ASSERT_TRUE(reload(ArchiveFormat::OciArchive, loaded->images));
  EXPECT_EQ(saved_, first) << "saving is deterministic";

  auto as_docker = reload(ArchiveFormat::DockerArchive, as_oci->images);
  ASSERT_TRUE(as_docker) << as_docker.error().to_string();
  EXPECT_EQ(as_docker->images[0].names, loaded->images[0].names);
  Manifest docker = manifest_of(as_docker->images[0]);
  EXPECT_EQ(docker.config.digest, Digest::of(config));
  EXPECT_EQ(docker.layers[1].media_type, media_type::kDockerLayer) << "saved uncompressed";
  EXPECT_EQ(docker.layers[1].digest, Digest::of(kLayer2));
  EXPECT_NE(saved_.find("\"RepoTags\":[\"busybox:latest\"]"), std::string::npos);
}

TEST_F(ArchiveTest, SaveRefusesABlobChangedOnDisk) {
  auto loaded = load(docker_archive(config_json({kLayer1, kLayer2}), kLayer2));
  ASSERT_TRUE(loaded);
  ASSERT_TRUE(sys::write_file_atomic(store_->path(Digest::of(kLayer2)), "tampered"));
  auto saved = reload(ArchiveFormat::DockerArchive, loaded->images);
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code(), Errc::Corrupt) << saved.error().to_string();
}

TEST_F(ArchiveTest, RefusesUnsafeMemberNames) {
  expect_error(load({{"ok", "x"}, {"../evil", "x"}}), Errc::InvalidArgument,
               "member \"../evil\": \"..\" in a name is refused");
  expect_error(load({{"ok", "x"}, {"/etc/evil", "x"}}), Errc::InvalidArgument,
               "member \"/etc/evil\": absolute names are refused");
  expect_error(load({{"ok", "x"}, {"a/link", "../../etc/passwd", Kind::Symlink}}),
               Errc::InvalidArgument, "leaves the archive");
  expect_error(load({{"ok", "x"}, {"link", "/etc/passwd", Kind::Symlink}}), Errc::InvalidArgument,
               "absolute targets are refused");
}

TEST_F(ArchiveTest, RefusesABlobWhoseBytesDoNotMatchItsName) {
  auto members = oci_archive(Json::array({Json::object()}));
  members.back().data += "!";
  expect_error(load(members), Errc::Corrupt, "member \"blobs/sha256/");
  expect_error(load(members), Errc::Corrupt, "digest mismatch");
}

TEST_F(ArchiveTest, RefusesAManifestNamingAMissingBlob) {
  auto members = oci_archive(Json::array({Json::object()}));
  members.erase(members.begin() + 4);  // kLayer1, the amd64 layer
  expect_error(load(members), Errc::Corrupt,
               "layers[0]: blob " + Digest::of(kLayer1).str() + " (blobs/sha256/" +
                   hex_of(kLayer1) + ") is not in the archive");
  auto docker = docker_archive(config_json({kLayer1, kLayer2}), kLayer2);
  docker.erase(docker.begin() + 3);
  expect_error(load(docker), Errc::Corrupt, "Layers[1]: member \"l2/layer.tar\" is missing");
}

TEST_F(ArchiveTest, RefusesALayerThatDoesNotMatchItsDiffId) {
  expect_error(load(docker_archive(config_json({kLayer1, kLayer2}), "other bytes")), Errc::Corrupt,
               "manifest.json: [0].Layers[1]: member \"l2/layer.tar\": content is " +
                   Digest::of("other bytes").str() + ", but the config's diff_id is " +
                   Digest::of(kLayer2).str());
  expect_error(load(docker_archive(config_json({kLayer1}), kLayer2)), Errc::Corrupt,
               "names 2 layers, but");
}

TEST_F(ArchiveTest, RefusesOversizedDocumentsLinkLoopsAndNonArchives) {
  auto members = docker_archive(config_json({kLayer1, kLayer2}), kLayer2);
  members.back().data = std::string(kMaxDocumentSize + 1, ' ');
  expect_error(load(members), Errc::InvalidArgument, "member \"manifest.json\": 4194305 bytes");
  expect_error(load({{"a", "b", Kind::Symlink},
                     {"b", "a", Kind::Symlink},
                     {"manifest.json", "a", Kind::Symlink}}),
               Errc::Corrupt, "a loop?");
  expect_error(load({{"readme", "hello"}}), Errc::InvalidArgument,
               "neither manifest.json (docker-archive) nor index.json (oci-archive) found");
  int fd = ::memfd_create("junk", MFD_CLOEXEC);
  ASSERT_TRUE(sys::write_all(fd, std::string(3000, 'j')));
  ::lseek(fd, 0, SEEK_SET);
  auto junk = load_archive(fd, *store_, "test.tar");
  ::close(fd);
  expect_error(junk, Errc::Corrupt, "read tar");
}

}  // namespace
}  // namespace quai::image
