// Issue 5, acceptance 1 (server side): skopeo and podman push to and pull from
// `quai registry serve`, over plain HTTP on loopback and over TLS with a self-signed
// certificate; basic auth refuses anonymous pushes; the hostile requests of acceptance 4
// that a real client cannot make, made with curl.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

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

// A port on 127.0.0.1 that nothing listens on now (for servers that cannot pick one).
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Debian's docker-registry (the Distribution registry) on loopback, storage in `dir`.
class DistributionRegistry {
 public:
  explicit DistributionRegistry(const std::string& dir) {
    address_ = "127.0.0.1:" + std::to_string(free_port());
    std::string config = dir + "/config.yml";
    std::string text =
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        "storage:\n  filesystem:\n    rootdirectory: " +
        dir +
        "/data\n"
        "  delete:\n    enabled: true\nhttp:\n  addr: " +
        address_ + "\n";
    FILE* file = std::fopen(config.c_str(), "w");
    std::fputs(text.c_str(), file);
    std::fclose(file);
    pid_ = ::fork();
    if (pid_ == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::execlp("docker-registry", "docker-registry", "serve", config.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (run({"curl", "-sf", "http://" + address_ + "/v2/"}).exit_code == 0) return;
      ::usleep(50000);
    }
    address_.clear();
  }
  ~DistributionRegistry() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }
  const std::string& address() const { return address_; }

 private:
  pid_t pid_ = -1;
  std::string address_;
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
  // quai on another store (another machine, in effect), with one "NAME=value" in its
  // environment when given.
  CommandResult quai_at(const std::string& store, std::vector<std::string> args,
                        const std::string& env = "", const std::string& input = "") const {
    std::vector<std::string> argv = {"env"};
    if (!env.empty()) argv.push_back(env);
    argv.insert(argv.end(), {quai_binary(), "--root", store});
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, input);
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
  // A client killed a second into a slow upload: nothing of it becomes visible.
  sh("head -c 5000000 /dev/zero | timeout -s KILL 1 curl -s -X POST --limit-rate 200k -T - '" +
     base + "/v2/app/blobs/uploads/?digest=" + wrong_digest + "'");
  EXPECT_TRUE(entries(path("registry") + "/blobs/sha256").empty()) << "no partial blob";
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

TEST_F(QuaiRegistry, QuaiPushesAndPullsAgainstQuaiAndTheDistributionRegistry) {
  serve();
  ASSERT_EQ(run({"mkdir", path("distribution")}).exit_code, 0);
  DistributionRegistry distribution(path("distribution"));
  ASSERT_FALSE(distribution.address().empty()) << "docker-registry did not start";
  for (const std::string& address : {server_->address(), distribution.address()}) {
    std::string name = address + "/it/busybox:1";
    ASSERT_EQ(quai({"tag", "busybox", name}).exit_code, 0);
    auto pushed = quai({"push", name});
    ASSERT_EQ(pushed.exit_code, 0) << pushed.both();
    EXPECT_TRUE(contains(pushed.out, ": Pushed\n")) << pushed.out;
    EXPECT_TRUE(contains(pushed.out, "1: digest: sha256:")) << pushed.out;
    auto again = quai({"push", name});
    EXPECT_TRUE(contains(again.out, ": Layer already exists\n")) << again.both();
    std::string copy = address + "/it/copy:1";
    ASSERT_EQ(quai({"tag", "busybox", copy}).exit_code, 0);
    auto mounted = quai({"push", copy});
    EXPECT_TRUE(contains(mounted.out, ": Mounted from it/busybox\n")) << mounted.both();
    std::string chunked = address + "/it/chunked:1";
    ASSERT_EQ(quai({"tag", "busybox", chunked}).exit_code, 0);
    auto in_chunks =
        quai({"push", "--compression-format", "zstd", "--chunk-size", "65536", chunked});
    EXPECT_TRUE(contains(in_chunks.out, ": Pushed\n")) << in_chunks.both();
    std::string other = path("other-" + std::to_string(free_port()));
    auto in_other = [&](std::vector<std::string> args) { return quai_at(other, std::move(args)); };
    auto pulled = in_other({"pull", name});
    ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
    EXPECT_TRUE(contains(pulled.out, ": Pull complete\n")) << pulled.out;
    EXPECT_TRUE(contains(pulled.out, "Status: Downloaded newer image for " + name)) << pulled.out;
    // The pull returned before its layers were synced; a process it left finishes that.
    wait_for_background_work(path());
    for (const auto& layer : entries(other + "/layers")) {
      struct stat st {};
      ASSERT_EQ(::stat((other + "/layers/" + layer + "/layer.json").c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 0777, 0600u) << "layer " << layer << " not marked synced";
    }
    auto ran = in_other({"run", "--rm", name, "echo", "pulled from " + address});
    EXPECT_EQ(ran.out, "pulled from " + address + "\n") << ran.err;
    auto up_to_date = in_other({"pull", "-q", name});
    EXPECT_EQ(up_to_date.out, name + "\n") << up_to_date.both();
    auto zstd_pulled = in_other({"pull", chunked});
    ASSERT_EQ(zstd_pulled.exit_code, 0) << zstd_pulled.both();
    EXPECT_EQ(in_other({"run", "--rm", chunked, "echo", "zstd"}).out, "zstd\n");
    EXPECT_EQ(in_other({"system", "check"}).out, "No problems found\n");
  }
  // The compressed copies the pushes made are part of the store, not orphans.
  EXPECT_EQ(quai({"system", "check"}).out, "No problems found\n");
}

// On a terminal each layer gets a row redrawn in place (cursor up, erase line) with its
// bytes; the push's rows are named by the stored layer, so the last word replaces them.
TEST_F(QuaiRegistry, OnATerminalPushAndPullRedrawARowPerLayer) {
  serve();
  auto on_terminal = [&](const std::vector<std::string>& argv) {
    std::string command;
    for (const std::string& word : argv) command += (command.empty() ? "" : " ") + word;
    return run({"script", "-qec", command, "/dev/null"});
  };
  std::string name = server_->address() + "/tty/busybox:1";
  ASSERT_EQ(quai({"tag", "busybox", name}).exit_code, 0);
  auto pushed = on_terminal(quai_argv({"push", name}));
  ASSERT_EQ(pushed.exit_code, 0) << pushed.both();
  EXPECT_TRUE(contains(pushed.out, ": Pushing ")) << pushed.out;
  EXPECT_TRUE(contains(pushed.out, "\x1b[1A\x1b[2K")) << pushed.out;
  EXPECT_TRUE(contains(pushed.out, ": Pushed\r\n")) << pushed.out;
  std::string other = path("other-tty");
  std::vector<std::string> pull = {"env", quai_binary(), "--root", other, "pull", name};
  auto pulled = on_terminal(pull);
  ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
  EXPECT_TRUE(contains(pulled.out, ": Downloading [")) << pulled.out;
  EXPECT_TRUE(contains(pulled.out, ": Pull complete\r\n")) << pulled.out;
  // Without a terminal: plain lines, no escape sequences.
  auto plain = quai({"push", name});
  EXPECT_FALSE(contains(plain.out, "\x1b[")) << plain.out;
}

TEST_F(QuaiRegistry, AnIndexResolvesToThePlatformAsked) {
  serve();
  std::string base = "http://" + server_->address() + "/v2/multi/app/manifests/";
  std::string name = server_->address() + "/multi/app";
  ASSERT_EQ(quai({"tag", "busybox", name + ":amd64"}).exit_code, 0);
  ASSERT_EQ(quai({"push", name + ":amd64"}).exit_code, 0);
  std::string amd64 = run({"curl", "-s", base + "amd64"}).out;
  Json arm64 = Json::parse(amd64);
  arm64["annotations"] = {{"org.example.arch", "arm64"}};
  auto put = [&](const std::string& tag, const std::string& type, const std::string& body) {
    return run({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "-H",
                "Content-Type: " + type, "--data-binary", body, base + tag})
        .out;
  };
  std::string manifest_type = "application/vnd.oci.image.manifest.v1+json";
  ASSERT_EQ(put("arm64", manifest_type, arm64.dump()), "201");
  auto digest_of = [&](const std::string& tag) {
    auto head = run({"curl", "-sI", base + tag}).out;
    size_t at = head.find("Docker-Content-Digest: ");
    return head.substr(at + 23, 71);
  };
  Json index = {{"schemaVersion", 2},
                {"mediaType", "application/vnd.oci.image.index.v1+json"},
                {"manifests",
                 {{{"mediaType", manifest_type},
                   {"digest", digest_of("arm64")},
                   {"size", arm64.dump().size()},
                   {"platform", {{"os", "linux"}, {"architecture", "arm64"}, {"variant", "v8"}}}},
                  {{"mediaType", manifest_type},
                   {"digest", digest_of("amd64")},
                   {"size", amd64.size()},
                   {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}}}}};
  ASSERT_EQ(put("1", "application/vnd.oci.image.index.v1+json", index.dump()), "201");

  std::string other = path("other");
  auto in_other = [&](std::vector<std::string> args) { return quai_at(other, std::move(args)); };
  auto pulled = in_other({"pull", name + ":1"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
  EXPECT_TRUE(contains(pulled.out, "Digest: " + digest_of("1"))) << pulled.out;
  EXPECT_EQ(in_other({"run", "--rm", name + ":1", "echo", "amd64"}).out, "amd64\n");
  auto arm = in_other({"pull", "--platform", "linux/arm64", name + ":1"});
  EXPECT_EQ(arm.exit_code, 0) << arm.both();
  auto none = in_other({"pull", "--platform", "linux/s390x", name + ":1"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_TRUE(contains(
      none.err, "no image for platform linux/s390x (the index has: linux/arm64/v8, linux/amd64)"))
      << none.err;
  EXPECT_EQ(in_other({"system", "check"}).out, "No problems found\n");
}

TEST_F(QuaiRegistry, SkopeosImageRunsInQuaiAndQuaisRunsInPodman) {
  ASSERT_EQ(run({"mkdir", path("distribution")}).exit_code, 0);
  DistributionRegistry distribution(path("distribution"));
  ASSERT_FALSE(distribution.address().empty()) << "docker-registry did not start";
  std::string from_skopeo = distribution.address() + "/skopeo/busybox:1";
  auto pushed =
      podman_->skopeo({"copy", "--dest-tls-verify=false", podman_->containers_storage(kPodmanImage),
                       "docker://" + from_skopeo});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.both();
  auto pulled = quai({"pull", from_skopeo});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
  EXPECT_EQ(quai({"run", "--rm", from_skopeo, "echo", "skopeo to quai"}).out, "skopeo to quai\n");

  std::string from_quai = distribution.address() + "/quai/busybox:1";
  ASSERT_EQ(quai({"tag", "busybox", from_quai}).exit_code, 0);
  auto quai_pushed = quai({"push", "--compression-format", "zstd", from_quai});
  ASSERT_EQ(quai_pushed.exit_code, 0) << quai_pushed.both();
  auto podman_pulled = podman_->podman({"pull", "--tls-verify=false", from_quai});
  ASSERT_EQ(podman_pulled.exit_code, 0) << podman_pulled.both();
  auto ran = podman_->podman_run({"--rm", from_quai, "echo", "quai to podman"});
  EXPECT_EQ(ran.out, "quai to podman\n") << ran.both();
  podman_->podman({"rmi", "--force", from_quai});
}

TEST_F(QuaiRegistry, ClientRefusesALayerThatDoesNotMatchItsDigest) {
  serve();
  std::string name = server_->address() + "/bad/busybox:1";
  ASSERT_EQ(quai({"tag", "busybox", name}).exit_code, 0);
  ASSERT_EQ(quai({"push", name}).exit_code, 0);
  auto manifest = Json::parse(
      run({"curl", "-s", "http://" + server_->address() + "/v2/bad/busybox/manifests/1"}).out);
  std::string layer = manifest["layers"][0]["digest"];
  std::string blob = path("registry/blobs/sha256/") + layer.substr(7);
  ASSERT_EQ(
      sh("printf 'XXXX' | dd of=" + blob + " bs=1 seek=100 conv=notrunc 2>/dev/null").exit_code, 0);
  std::string other = path("other");
  auto pulled = quai_at(other, {"pull", name});
  EXPECT_EQ(pulled.exit_code, 1) << pulled.both();
  EXPECT_TRUE(contains(pulled.err, "quai: error: pull " + name) && contains(pulled.err, layer))
      << pulled.err;
  EXPECT_EQ(quai_at(other, {"images", "-q"}).out, "");
  EXPECT_EQ(quai_at(other, {"system", "check"}).out, "No problems found\n");
  EXPECT_TRUE(entries(other + "/layers").empty()) << "no layer from the bad blob";
}

// A registry that lies about a manifest's digest.
constexpr const char* kLyingRegistry = R"(
import http.server, sys
body = b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","size":2},"layers":[]}'
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        if '/manifests/' in self.path:
            self.send_header('Content-Type', 'application/vnd.oci.image.manifest.v1+json')
            self.send_header('Docker-Content-Digest', 'sha256:' + '1' * 64)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_header('Content-Length', '2')
            self.end_headers()
            self.wfile.write(b'{}')
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
)";

TEST_F(QuaiRegistry, ClientRefusesAManifestWhoseDigestDoesNotMatch) {
  std::string script = path("lying.py");
  FILE* file = std::fopen(script.c_str(), "w");
  std::fputs(kLyingRegistry, file);
  std::fclose(file);
  RegistryServer lying({"/usr/bin/python3", script});
  std::string port = lying.banner();
  ASSERT_FALSE(port.empty());
  std::vector<std::string> blobs_before = entries(root() + "/blobs/sha256");
  auto by_tag = quai({"pull", "127.0.0.1:" + port + "/x:1"});
  EXPECT_EQ(by_tag.exit_code, 1);
  EXPECT_TRUE(contains(by_tag.err, "the registry says its digest is sha256:1111")) << by_tag.err;
  auto by_digest = quai({"pull", "127.0.0.1:" + port + "/x@sha256:" + std::string(64, '2')});
  EXPECT_EQ(by_digest.exit_code, 1);
  EXPECT_TRUE(contains(by_digest.err, "the registry sent content with digest")) << by_digest.err;
  EXPECT_EQ(entries(root() + "/blobs/sha256"), blobs_before) << "nothing stored";
}

TEST_F(QuaiRegistry, AnUnreachableRegistryIsNamedAtOnce) {
  auto started = std::chrono::steady_clock::now();
  auto pulled = quai({"pull", "busybox"});
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(pulled.exit_code, 1);
  EXPECT_TRUE(contains(pulled.err,
                       "quai: error: pull busybox:latest: registry docker.io cannot be reached"))
      << pulled.err;
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST_F(QuaiRegistry, LoginKeepsCredentialsPrivateAndPushNeedsThem) {
  ASSERT_EQ(run({"htpasswd", "-cbB", path("htpasswd"), "ci", "s3cret"}).exit_code, 0);
  serve({"--htpasswd", path("htpasswd")});
  std::string auth = "REGISTRY_AUTH_FILE=" + path("auth/auth.json");
  auto with_auth = [&](std::vector<std::string> args, const std::string& input = "") {
    return quai_at(root(), std::move(args), auth, input);
  };
  std::string name = server_->address() + "/private/busybox:1";
  ASSERT_EQ(quai({"tag", "busybox", name}).exit_code, 0);
  auto anonymous = with_auth({"push", name});
  EXPECT_EQ(anonymous.exit_code, 1);
  EXPECT_TRUE(
      contains(anonymous.err, "requires authentication: run quai login " + server_->address()))
      << anonymous.err;
  auto wrong = with_auth({"login", "-u", "ci", "--password-stdin", server_->address()}, "nope\n");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_TRUE(contains(wrong.err, "incorrect username or password")) << wrong.err;
  auto login = with_auth({"login", "-u", "ci", "--password-stdin", server_->address()}, "s3cret\n");
  EXPECT_EQ(login.out, "Login Succeeded\n") << login.err;
  EXPECT_EQ(run({"stat", "-c", "%a", path("auth/auth.json")}).out, "600\n");
  EXPECT_EQ(with_auth({"push", name}).exit_code, 0);
  EXPECT_EQ(with_auth({"logout", server_->address()}).out,
            "Removing login credentials for " + server_->address() + "\n");
  EXPECT_EQ(with_auth({"logout", server_->address()}).out,
            "Not logged in to " + server_->address() + "\n");
}

// A proxy to a registry that breaks the first download of each large blob halfway, as a
// flaky network would, and passes Range requests through.
constexpr const char* kFlakyProxy = R"(
import http.server, sys, urllib.request
upstream = sys.argv[1]
broken = set()
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def relay(self, head):
        if self.headers.get('Range'):
            with open(sys.argv[2], 'a') as ranges:
                ranges.write(self.headers['Range'] + '\n')
        request = urllib.request.Request(upstream + self.path, method=self.command)
        for name in ('Accept', 'Range', 'Authorization'):
            if self.headers.get(name):
                request.add_header(name, self.headers[name])
        try:
            answer = urllib.request.urlopen(request)
        except urllib.error.HTTPError as error:
            answer = error
        body = b'' if head else answer.read()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            if name.lower() not in ('connection', 'transfer-encoding'):
                self.send_header(name, value)
        self.end_headers()
        cut = '/blobs/' in self.path and len(body) > 100000 and self.path not in broken
        if cut:
            broken.add(self.path)
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)
    def do_GET(self):
        self.relay(False)
    def do_HEAD(self):
        self.relay(True)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
)";

TEST_F(QuaiRegistry, ABrokenDownloadResumesWithARangeRequest) {
  serve();
  std::string name = server_->address() + "/flaky/busybox:1";
  ASSERT_EQ(quai({"tag", "busybox", name}).exit_code, 0);
  ASSERT_EQ(quai({"push", "--compression-format", "none", name}).exit_code, 0);
  std::string script = path("flaky.py");
  FILE* file = std::fopen(script.c_str(), "w");
  std::fputs(kFlakyProxy, file);
  std::fclose(file);
  RegistryServer proxy(
      {"/usr/bin/python3", script, "http://" + server_->address(), path("ranges.txt")});
  ASSERT_FALSE(proxy.banner().empty());
  std::string via_proxy = "127.0.0.1:" + proxy.banner() + "/flaky/busybox:1";
  std::string other = path("other");
  auto pulled = quai_at(other, {"pull", via_proxy});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
  auto ran = quai_at(other, {"run", "--rm", via_proxy, "echo", "resumed"});
  EXPECT_EQ(ran.out, "resumed\n") << ran.err;
  EXPECT_TRUE(contains(read_text(path("ranges.txt")), "bytes=")) << "the download resumed";
  EXPECT_EQ(quai_at(other, {"system", "check"}).out, "No problems found\n");
}

TEST_F(QuaiRegistry, PullsGoThroughAMirrorAndSettingsErrorsNameTheField) {
  serve();
  std::string mirrored = server_->address() + "/team/busybox:1";
  ASSERT_EQ(quai({"tag", "busybox", mirrored}).exit_code, 0);
  ASSERT_EQ(quai({"push", mirrored}).exit_code, 0);
  std::string settings = path("registries.json");
  auto write = [&](const std::string& text) {
    FILE* file = std::fopen(settings.c_str(), "w");
    std::fputs(text.c_str(), file);
    std::fclose(file);
  };
  write(R"({"registries": {"registry.example": {"mirrors": ["127.0.0.1:1", ")" +
        server_->address() + R"("]}}})");
  auto in_other = [&](std::vector<std::string> args) {
    return quai_at(path("other"), std::move(args), "QUAI_REGISTRIES_CONFIG=" + settings);
  };
  auto pulled = in_other({"pull", "registry.example/team/busybox:1"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.both();
  EXPECT_TRUE(contains(pulled.out, "mirror 127.0.0.1:1: registry 127.0.0.1:1 cannot be reached"))
      << pulled.out;
  EXPECT_EQ(in_other({"run", "--rm", "registry.example/team/busybox:1", "echo", "mirrored"}).out,
            "mirrored\n");
  write(R"({"registries": {"registry.example": {"mirrors": "not a list"}}})");
  auto refused = in_other({"pull", "registry.example/team/busybox:1"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err, settings) && contains(refused.err, "mirrors")) << refused.err;
}

TEST_F(QuaiRegistry, QuaiVerifiesTheRegistrysCertificateAgainstItsSettings) {
  make_certificate(path());
  serve({"--tls-cert", path("cert.pem"), "--tls-key", path("key.pem")});
  std::string name = server_->address() + "/tls/busybox:1";
  ASSERT_EQ(quai({"tag", "busybox", name}).exit_code, 0);
  // Loopback registries are insecure by default; an entry in the settings makes this one
  // verified, against its CA file or the system's.
  auto settings_with = [&](const std::string& file, const std::string& entry) {
    FILE* out = std::fopen(path(file).c_str(), "w");
    std::fprintf(out, R"({"registries": {"%s": %s}})", server_->address().c_str(), entry.c_str());
    std::fclose(out);
    return "QUAI_REGISTRIES_CONFIG=" + path(file);
  };
  std::string trusted =
      settings_with("trusted.json", R"({"ca-file": ")" + path("cert.pem") + "\"}");
  std::string strict = settings_with("strict.json", R"({"insecure": false})");
  auto quai_with = [&](const std::string& env, const std::string& store,
                       std::vector<std::string> args) {
    return quai_at(store, std::move(args), env);
  };
  auto pushed = quai_with(trusted, root(), {"push", name});
  EXPECT_EQ(pushed.exit_code, 0) << pushed.both();
  auto refused = quai_with(strict, path("other"), {"pull", name});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_TRUE(contains(refused.err, "certificate")) << refused.err;
  auto unverified = quai_with(strict, path("other"), {"pull", "--tls-verify=false", name});
  EXPECT_EQ(unverified.exit_code, 0) << unverified.both();
  auto verified = quai_with(trusted, path("third"), {"pull", name});
  EXPECT_EQ(verified.exit_code, 0) << verified.both();
}

}  // namespace
}  // namespace quai::test
