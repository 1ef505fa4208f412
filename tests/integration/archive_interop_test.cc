// Image archives between quai and its peers: podman's and skopeo's docker-archive and
// oci-archive files load into a quai BlobStore, and what quai saves loads and runs in
// podman and copies with skopeo, at the library level (quai_interop_test.cc does the same
// through the quai CLI). podman keeps its store in the test's temp dir (podman_env.h;
// vfs, crun, no network).

#include <fcntl.h>
#include <unistd.h>

#include "image/archive.h"
#include "podman_env.h"

namespace quai::test {
namespace {

using image::ArchiveFormat;
using image::ArchiveImage;
using image::BlobStore;

constexpr const char* kImage = "localhost/quai-it-archive:latest";

class ArchiveInterop : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!PodmanEnv::available(true)) return;
    env_ = new PodmanEnv("quai-it-archive", {"runc", "vfs"});
    env_->import_busybox(kImage);
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override {
    if (env_ == nullptr) GTEST_SKIP() << "needs root, podman and skopeo";
    store_root_ = path("store-" + std::to_string(++stores_));
    store_.emplace(BlobStore::open(store_root_).value());
  }

  static std::string path(const std::string& name) { return env_->path(name); }
  static CommandResult podman(const std::vector<std::string>& args) { return env_->podman(args); }
  static CommandResult skopeo(const std::vector<std::string>& args) { return env_->skopeo(args); }

  Result<image::LoadedArchive> load(const std::string& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0) << file;
    auto loaded = image::load_archive(fd, *store_, file);
    ::close(fd);
    return loaded;
  }
  void save(ArchiveFormat format, const std::vector<ArchiveImage>& images,
            const std::string& file) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0) << file;
    auto saved = image::save_archive(format, images, *store_, fd);
    ::close(fd);
    ASSERT_TRUE(saved) << saved.error().to_string();
  }
  // The image in `file` has one layer, a config for linux, and the given name.
  void expect_busybox_image(const std::string& file, const std::string& name,
                            ArchiveFormat format) {
    auto loaded = load(file);
    ASSERT_TRUE(loaded) << loaded.error().to_string();
    EXPECT_EQ(loaded->format, format);
    ASSERT_EQ(loaded->images.size(), 1u);
    EXPECT_EQ(loaded->images[0].names, std::vector<std::string>{name});
    auto manifest = image::parse_manifest(store_->read(loaded->images[0].manifest).value(), "m");
    ASSERT_TRUE(manifest) << manifest.error().to_string();
    ASSERT_EQ(manifest->layers.size(), 1u);
    EXPECT_TRUE(store_->has(manifest->layers[0].digest));
    auto config = image::parse_image_config(store_->read(manifest->config.digest).value(), "c");
    ASSERT_TRUE(config) << config.error().to_string();
    EXPECT_EQ(config->os, "linux");
    EXPECT_EQ(config->diff_ids.size(), 1u);
  }
  // podman's docker-archive of the imported busybox, loaded; renamed to `name`.
  std::vector<ArchiveImage> podman_image(const std::string& name) {
    std::string file = path("podman-docker-" + std::to_string(stores_) + ".tar");
    auto saved = podman({"save", "--format", "docker-archive", "-o", file, kImage});
    EXPECT_EQ(saved.exit_code, 0) << saved.both();
    auto loaded = load(file);
    EXPECT_TRUE(loaded) << loaded.error().to_string();
    if (!loaded) return {};
    loaded->images[0].names = {name};
    return loaded->images;
  }
  void expect_runs_in_podman(const std::string& file, const std::string& name) {
    auto loaded = podman({"load", "-i", file});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.both();
    EXPECT_TRUE(contains(loaded.out, name)) << loaded.out;
    auto hi = env_->podman_run({"--rm", name, "echo", "hi"});
    EXPECT_EQ(hi.exit_code, 0) << hi.both();
    EXPECT_EQ(hi.out, "hi\n") << hi.err;
    podman({"rmi", "--force", name});
  }

  static inline PodmanEnv* env_ = nullptr;
  static inline int stores_ = 0;
  std::string store_root_;
  std::optional<BlobStore> store_;
};

TEST_F(ArchiveInterop, LoadsPodmanDockerArchive) {
  auto saved = podman({"save", "--format", "docker-archive", "-o", path("p-docker.tar"), kImage});
  ASSERT_EQ(saved.exit_code, 0) << saved.both();
  expect_busybox_image(path("p-docker.tar"), kImage, ArchiveFormat::DockerArchive);
}

TEST_F(ArchiveInterop, LoadsPodmanOciArchive) {
  auto saved = podman({"save", "--format", "oci-archive", "-o", path("p-oci.tar"), kImage});
  ASSERT_EQ(saved.exit_code, 0) << saved.both();
  expect_busybox_image(path("p-oci.tar"), kImage, ArchiveFormat::OciArchive);
}

TEST_F(ArchiveInterop, PodmanLoadsAndRunsOurDockerArchive) {
  auto images = podman_image("localhost/quai-saved-docker:v1");
  ASSERT_EQ(images.size(), 1u);
  save(ArchiveFormat::DockerArchive, images, path("ours-docker.tar"));
  expect_runs_in_podman(path("ours-docker.tar"), "localhost/quai-saved-docker:v1");
}

TEST_F(ArchiveInterop, PodmanLoadsAndRunsOurOciArchive) {
  auto images = podman_image("localhost/quai-saved-oci:v1");
  ASSERT_EQ(images.size(), 1u);
  save(ArchiveFormat::OciArchive, images, path("ours-oci.tar"));
  expect_runs_in_podman(path("ours-oci.tar"), "localhost/quai-saved-oci:v1");
}

TEST_F(ArchiveInterop, SkopeoArchivesFromAnOciDirectoryLoad) {
  auto saved = podman({"save", "--format", "docker-archive", "-o", path("s-src.tar"), kImage});
  ASSERT_EQ(saved.exit_code, 0) << saved.both();
  auto to_dir =
      skopeo({"copy", "docker-archive:" + path("s-src.tar"), "oci:" + path("s-dir") + ":latest"});
  ASSERT_EQ(to_dir.exit_code, 0) << to_dir.both();
  auto docker = skopeo({"copy", "oci:" + path("s-dir") + ":latest",
                        "docker-archive:" + path("s-docker.tar") + ":example.com/app:1"});
  ASSERT_EQ(docker.exit_code, 0) << docker.both();
  expect_busybox_image(path("s-docker.tar"), "example.com/app:1", ArchiveFormat::DockerArchive);
  auto oci = skopeo({"copy", "oci:" + path("s-dir") + ":latest",
                     "oci-archive:" + path("s-oci.tar") + ":example.com/app:2"});
  ASSERT_EQ(oci.exit_code, 0) << oci.both();
  expect_busybox_image(path("s-oci.tar"), "example.com/app:2", ArchiveFormat::OciArchive);
}

TEST_F(ArchiveInterop, SkopeoCopiesOurArchivesToAnOciDirectory) {
  auto images = podman_image("example.com/quai/app:3");
  ASSERT_EQ(images.size(), 1u);
  save(ArchiveFormat::DockerArchive, images, path("q-docker.tar"));
  save(ArchiveFormat::OciArchive, images, path("q-oci.tar"));
  for (const auto& [source, tag] :
       {std::pair{"docker-archive:" + path("q-docker.tar"), "from-docker"},
        std::pair{"oci-archive:" + path("q-oci.tar"), "from-oci"}}) {
    std::string dest = "oci:" + path("q-dir") + ":" + tag;
    auto copied = skopeo({"copy", source, dest});
    ASSERT_EQ(copied.exit_code, 0) << source << ": " << copied.both();
    auto inspected = skopeo({"inspect", dest});
    EXPECT_EQ(inspected.exit_code, 0) << inspected.both();
    EXPECT_TRUE(contains(inspected.out, "\"Layers\"")) << inspected.out;
    EXPECT_TRUE(contains(inspected.out, "\"Os\": \"linux\"")) << inspected.out;
  }
}

}  // namespace
}  // namespace quai::test
