// Issue 3, acceptance 2 through the quai CLI: podman's docker-archive and oci-archive
// files `quai load` and run; what `quai save` writes (both formats) podman loads and runs;
// skopeo copies between an `oci:` directory and quai's archives both ways, and the copies
// load and run. podman lives in the suite's temp dir (podman_env.h); quai has a --root
// per test (quai_env.h).

#include "podman_env.h"
#include "quai_env.h"

namespace quai::test {
namespace {

constexpr const char* kPodmanImage = "localhost/quai-it-interop:latest";

class QuaiInterop : public QuaiWithPodmanTest {
 protected:
  static void SetUpTestSuite() { start_podman("quai-it-interop", kPodmanImage); }
  static void TearDownTestSuite() { stop_podman(); }

  // quai loads `file` (which names `name`) and runs a container of it.
  void expect_loads_and_runs_in_quai(const std::string& file, const std::string& name) {
    auto loaded = quai({"load", "-i", file});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.both();
    EXPECT_EQ(loaded.out, "Loaded image: " + name + "\n");
    auto ran = quai({"run", "--rm", name, "echo", "ran in quai"});
    EXPECT_EQ(ran.exit_code, 0) << ran.err;
    EXPECT_EQ(ran.out, "ran in quai\n");
    auto check = quai({"system", "check"});
    EXPECT_EQ(check.out, "No problems found\n");
  }
  // podman loads `file` (which names `name`) and runs a container of it.
  void expect_loads_and_runs_in_podman(const std::string& file, const std::string& name) {
    auto loaded = podman_->podman({"load", "-i", file});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.both();
    EXPECT_NE(loaded.out.find(name), std::string::npos) << loaded.out;
    expect_runs_in_podman(name);
  }
  void expect_runs_in_podman(const std::string& name) {
    auto ran = podman_->podman_run({"--rm", name, "echo", "ran in podman"});
    EXPECT_EQ(ran.exit_code, 0) << ran.both();
    EXPECT_EQ(ran.out, "ran in podman\n");
    podman_->podman({"rmi", "--force", name});
  }
  // `quai save` of the bootstrapped busybox under `name`, in `format`.
  std::string quai_save(const std::string& name, const std::string& format) {
    EXPECT_EQ(quai({"tag", "busybox", name}).exit_code, 0);
    std::string file = path("quai-" + format + ".tar");
    auto saved = quai({"save", "--format", format, "-o", file, name});
    EXPECT_EQ(saved.exit_code, 0) << saved.both();
    EXPECT_EQ(saved.out, "");
    return file;
  }
};

TEST_F(QuaiInterop, PodmanDockerArchiveLoadsAndRuns) {
  std::string file = path("podman-docker.tar");
  auto saved = podman_->podman({"save", "--format", "docker-archive", "-o", file, kPodmanImage});
  ASSERT_EQ(saved.exit_code, 0) << saved.both();
  expect_loads_and_runs_in_quai(file, kPodmanImage);
}

TEST_F(QuaiInterop, PodmanOciArchiveLoadsAndRuns) {
  std::string file = path("podman-oci.tar");
  auto saved = podman_->podman({"save", "--format", "oci-archive", "-o", file, kPodmanImage});
  ASSERT_EQ(saved.exit_code, 0) << saved.both();
  expect_loads_and_runs_in_quai(file, kPodmanImage);
}

TEST_F(QuaiInterop, QuaiDockerArchiveLoadsAndRunsInPodman) {
  std::string name = "localhost/quai-saved-docker:v1";
  expect_loads_and_runs_in_podman(quai_save(name, "docker-archive"), name);
}

TEST_F(QuaiInterop, QuaiOciArchiveLoadsAndRunsInPodman) {
  std::string name = "localhost/quai-saved-oci:v1";
  expect_loads_and_runs_in_podman(quai_save(name, "oci-archive"), name);
}

TEST_F(QuaiInterop, SkopeoCopiesQuaiArchivesToAnOciDirectoryThatRuns) {
  std::string docker = quai_save("localhost/quai-skopeo:v1", "docker-archive");
  std::string oci = quai_save("localhost/quai-skopeo:v1", "oci-archive");
  for (const auto& [source, tag] : {std::pair{"docker-archive:" + docker, "from-docker"},
                                    std::pair{"oci-archive:" + oci, "from-oci"}}) {
    std::string dest = "oci:" + path("oci-dir") + ":" + tag;
    auto copied = podman_->skopeo({"copy", source, dest});
    ASSERT_EQ(copied.exit_code, 0) << source << ": " << copied.both();
    // `podman pull oci:DIR` names the image after DIR, which has capitals here.
    std::string name = std::string("localhost/from-oci-dir:") + tag;
    auto stored = podman_->skopeo({"copy", dest, podman_->containers_storage(name)});
    ASSERT_EQ(stored.exit_code, 0) << dest << ": " << stored.both();
    expect_runs_in_podman(name);
  }
}

// The two archives hold one image with two manifests: the second load gives the image its
// manifest, and the system check in expect_loads_and_runs_in_quai finds nothing of the
// first one's left.
TEST_F(QuaiInterop, SkopeoArchivesFromAnOciDirectoryLoadAndRunInQuai) {
  auto saved =
      podman_->podman({"save", "--format", "oci-dir", "-o", path("oci-dir"), kPodmanImage});
  ASSERT_EQ(saved.exit_code, 0) << saved.both();
  std::string docker = path("skopeo-docker.tar");
  auto to_docker = podman_->skopeo(
      {"copy", "oci:" + path("oci-dir"), "docker-archive:" + docker + ":example.com/app:1"});
  ASSERT_EQ(to_docker.exit_code, 0) << to_docker.both();
  expect_loads_and_runs_in_quai(docker, "example.com/app:1");
  std::string oci = path("skopeo-oci.tar");
  auto to_oci = podman_->skopeo(
      {"copy", "oci:" + path("oci-dir"), "oci-archive:" + oci + ":example.com/app:2"});
  ASSERT_EQ(to_oci.exit_code, 0) << to_oci.both();
  expect_loads_and_runs_in_quai(oci, "example.com/app:2");
}

}  // namespace
}  // namespace quai::test
