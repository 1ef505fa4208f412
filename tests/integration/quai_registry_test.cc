// Issue 5, acceptance 1 (server side): skopeo and podman push to and pull from
// `quai registry serve`, over plain HTTP on loopback and over TLS with a self-signed
// certificate; basic auth refuses anonymous pushes; the hostile requests of acceptance 4
// that a real client cannot make, made with curl.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "podman_env.h"
#include "quai_env.h"

namespace quai::test {
namespace {

// `quai registry serve` in the background, on a port the kernel picks.
class RegistryServer {
 public:
  RegistryServer(const std::vector<std::string>& argv) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      std::vector<char*> args;
      for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    read_fd_ = out[0];
    std::string line;
    struct pollfd fd = {read_fd_, POLLIN, 0};
    char c;
    while (::poll(&fd, 1, 10000) > 0 && ::read(read_fd_, &c, 1) == 1 && c != '\n') line += c;
    banner_ = line;
    size_t scheme = line.find("://");
    if (scheme != std::string::npos)
      address_ = line.substr(scheme + 3, line.find(',', scheme) - scheme - 3);
  }
  ~RegistryServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (read_fd_ >= 0) ::close(read_fd_);
  }
  /// "127.0.0.1:41234", empty when the server did not start.
  const std::string& address() const { return address_; }
  const std::string& banner() const { return banner_; }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
  std::string address_, banner_;
};

constexpr const char* kPodmanImage = "localhost/quai-it-registry:latest";

class QuaiRegistry : public QuaiWithPodmanTest {
 protected:
  static void SetUpTestSuite() { start_podman("quai-it-registry", kPodmanImage); }
  static void TearDownTestSuite() { stop_podman(); }
  void TearDown() override {
    server_.reset();
    QuaiWithPodmanTest::TearDown();
  }

  void serve(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv =
        quai_argv({"registry", "serve", "--addr", "127.0.0.1:0", "--storage", path("registry")});
    argv.insert(argv.end(), extra.begin(), extra.end());
    server_ = std::make_unique<RegistryServer>(argv);
    ASSERT_FALSE(server_->address().empty()) << "the server did not start: " << server_->banner();
  }
  std::string docker_ref(const std::string& repo) const {
    return "docker://" + server_->address() + "/" + repo;
  }
  // A self-signed certificate for 127.0.0.1 in dir (cert.pem, key.pem, and ca.crt for the
  // clients' --cert-dir).
  void make_certificate(const std::string& dir) const {
    auto made = run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                     "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout",
                     dir + "/key.pem", "-out", dir + "/cert.pem"});
    ASSERT_EQ(made.exit_code, 0) << made.both();
    ASSERT_EQ(run({"cp", dir + "/cert.pem", dir + "/ca.crt"}).exit_code, 0);
  }

  std::unique_ptr<RegistryServer> server_;
};

TEST_F(QuaiRegistry, SkopeoPushesAndPullsOverPlainHttp) {
  serve();
  std::string source = podman_->containers_storage(kPodmanImage);
  auto pushed =
      podman_->skopeo({"copy", "--dest-tls-verify=false", source, docker_ref("it/busybox:1")});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.both();
  auto again =
      podman_->skopeo({"copy", "--dest-tls-verify=false", source, docker_ref("it/busybox:2")});
  ASSERT_EQ(again.exit_code, 0) << again.both();
  auto tags = podman_->skopeo({"list-tags", "--tls-verify=false", docker_ref("it/busybox")});
  EXPECT_EQ(tags.exit_code, 0) << tags.both();
  EXPECT_TRUE(contains(tags.out, "\"1\"") && contains(tags.out, "\"2\"")) << tags.out;
  std::string pulled = path("pulled");
  auto pull = podman_->skopeo(
      {"copy", "--src-tls-verify=false", docker_ref("it/busybox:1"), "oci:" + pulled + ":1"});
  ASSERT_EQ(pull.exit_code, 0) << pull.both();
  auto archive = podman_->skopeo(
      {"copy", "oci:" + pulled + ":1", "oci-archive:" + path("b.tar") + ":it/busybox:1"});
  ASSERT_EQ(archive.exit_code, 0) << archive.both();
  auto loaded = quai({"load", "-i", path("b.tar")});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.both();
  auto ran = quai({"run", "--rm", "it/busybox:1", "echo", "pulled through quai's registry"});
  EXPECT_EQ(ran.out, "pulled through quai's registry\n") << ran.err;
}

TEST_F(QuaiRegistry, PodmanPushesAndPullsOverPlainHttp) {
  serve();
  std::string name = server_->address() + "/it/podman:latest";
  auto pushed = podman_->podman({"push", "--tls-verify=false", kPodmanImage, name});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.both();
  auto pulled = podman_->podman({"pull", "--tls-verify=false", name});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
  auto ran = podman_->podman_run({"--rm", name, "echo", "ran in podman"});
  EXPECT_EQ(ran.out, "ran in podman\n") << ran.both();
  podman_->podman({"rmi", "--force", name});
}

TEST_F(QuaiRegistry, SkopeoAndPodmanOverTlsWithASelfSignedCertificate) {
  make_certificate(path());
  serve({"--tls-cert", path("cert.pem"), "--tls-key", path("key.pem")});
  EXPECT_TRUE(contains(server_->banner(), "https://")) << server_->banner();
  std::string source = podman_->containers_storage(kPodmanImage);
  auto untrusted = podman_->skopeo({"copy", source, docker_ref("tls/busybox:1")});
  EXPECT_NE(untrusted.exit_code, 0) << "verification is on by default";
  EXPECT_TRUE(contains(untrusted.err, "certificate")) << untrusted.err;
  auto pushed =
      podman_->skopeo({"copy", "--dest-cert-dir", path(), source, docker_ref("tls/busybox:1")});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.both();
  std::string name = server_->address() + "/tls/busybox:1";
  auto pulled = podman_->podman({"pull", "--cert-dir", path(), name});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
  auto ran = podman_->podman_run({"--rm", name, "echo", "over TLS"});
  EXPECT_EQ(ran.out, "over TLS\n") << ran.both();
  podman_->podman({"rmi", "--force", name});
}

TEST_F(QuaiRegistry, BasicAuthRefusesAnonymousPushes) {
  auto users = run({"htpasswd", "-cbB", path("htpasswd"), "ci", "s3cret"});
  ASSERT_EQ(users.exit_code, 0) << users.both();
  serve({"--htpasswd", path("htpasswd")});
  std::string source = podman_->containers_storage(kPodmanImage);
  auto anonymous =
      podman_->skopeo({"copy", "--dest-tls-verify=false", source, docker_ref("auth/busybox:1")});
  EXPECT_NE(anonymous.exit_code, 0);
  EXPECT_TRUE(contains(anonymous.err, "authentication required")) << anonymous.err;
  auto wrong = podman_->skopeo({"copy", "--dest-tls-verify=false", "--dest-creds", "ci:nope",
                                source, docker_ref("auth/busybox:1")});
  EXPECT_NE(wrong.exit_code, 0);
  auto pushed = podman_->skopeo({"copy", "--dest-tls-verify=false", "--dest-creds", "ci:s3cret",
                                 source, docker_ref("auth/busybox:1")});
  EXPECT_EQ(pushed.exit_code, 0) << pushed.both();
  auto catalog =
      run({"curl", "-s", "-u", "ci:s3cret", "http://" + server_->address() + "/v2/_catalog"});
  EXPECT_EQ(catalog.out, R"({"repositories":["auth/busybox"]})");
}

TEST_F(QuaiRegistry, HostileRequestsGetTheSpecsErrors) {
  serve({"--quota", std::to_string(2ull << 30)});
  std::string base = "http://" + server_->address();
  auto curl = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"curl", "-s", "-o", "/dev/stdout", "-w", " %{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv).out;
  };
  EXPECT_TRUE(contains(curl({base + "/v2/Upper/tags/list"}), "NAME_INVALID")) << "upper case";
  EXPECT_TRUE(contains(curl({"--path-as-is", base + "/v2/a/../etc/tags/list"}), "NAME_INVALID"));
  std::string wrong_digest = "sha256:" + std::string(64, 'a');
  std::string refused = curl({"-X", "POST", "--data-binary", "hello",
                              base + "/v2/app/blobs/uploads/?digest=" + wrong_digest});
  EXPECT_TRUE(contains(refused, "DIGEST_INVALID") && contains(refused, " 400")) << refused;
  EXPECT_TRUE(entries(path("registry") + "/blobs/sha256").empty()) << "nothing stored";
  std::string manifest =
      R"({"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" +
      wrong_digest + R"(","size":2},"layers":[]})";
  std::string missing =
      curl({"-X", "PUT", "-H", "Content-Type: application/vnd.oci.image.manifest.v1+json",
            "--data-binary", manifest, base + "/v2/app/manifests/v1"});
  EXPECT_TRUE(contains(missing, "MANIFEST_BLOB_UNKNOWN")) << missing;
  std::string huge = curl({"-X", "POST", "-H", "Content-Length: 10737418240", "--max-time", "5",
                           base + "/v2/app/blobs/uploads/?digest=" + wrong_digest});
  EXPECT_TRUE(contains(huge, " 413")) << huge;
  std::string junk =
      run({"sh", "-c",
           "printf 'NONSENSE\\r\\n\\r\\n' | curl -s --max-time 5 telnet://" + server_->address()})
          .out;
  EXPECT_TRUE(contains(junk, "400")) << junk;
}

}  // namespace
}  // namespace quai::test
