// The walkthrough's Debian steps: `quai image bootstrap debian` (debootstrap from the host's
// apt sources, about a minute, hence the `slow` label), then an interactive bash through a
// terminal and a volume whose data outlives the container that wrote it.

#include <regex>

#include "quai_env.h"

namespace quai::test {
namespace {

// One Debian image for the suite: bootstrapping it per test would take minutes.
class Debian : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!is_root()) return;
    dir_ = new TempDir("quai-it-debian");
    bootstrap_ = new CommandResult(quai({"image", "bootstrap", "debian"}, 900));
  }
  static void TearDownTestSuite() {
    if (dir_ == nullptr) return;
    for (const auto& id : split_lines(quai({"ps", "-aq"}).out)) quai({"rm", "-f", id});
    delete dir_;
    delete bootstrap_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!is_root()) GTEST_SKIP() << "containers need root";
    ASSERT_EQ(bootstrap_->exit_code, 0) << bootstrap_->both();
  }

  static std::vector<std::string> argv(std::vector<std::string> args) {
    args.insert(args.begin(), {quai_binary(), "--root", dir_->path() + "/root"});
    return args;
  }
  static CommandResult quai(std::vector<std::string> args, int timeout_seconds = 60) {
    return run(argv(std::move(args)), "", timeout_seconds);
  }
  static CommandResult quai_in_terminal(const std::vector<std::string>& args,
                                        const std::string& input) {
    return run_in_terminal(argv(args), input);
  }

  static TempDir* dir_;
  static CommandResult* bootstrap_;
};

TempDir* Debian::dir_ = nullptr;
CommandResult* Debian::bootstrap_ = nullptr;

TEST_F(Debian, ImageIsListedUnderItsSuiteAndLatest) {
  auto listed = quai({"images", "--format", "{{.Repository}}:{{.Tag}}"});
  EXPECT_TRUE(contains(listed.out, "debian:latest\n")) << listed.out;
  EXPECT_TRUE(contains(listed.out, "debian:bookworm\n")) << listed.out;
  auto greeting = quai({"run", "--rm", "debian", "echo", "hello from debian"});
  EXPECT_EQ(greeting.out, "hello from debian\n") << greeting.err;
}

TEST_F(Debian, InteractiveBashThroughATerminal) {
  auto r = quai_in_terminal({"run", "--name", "test", "-it", "debian"},
                            "cat /etc/debian_version\necho answer=$((6*7))\nexit 3\n");
  EXPECT_EQ(r.exit_code, 3) << r.both();
  EXPECT_TRUE(std::regex_search(r.out, std::regex(R"(12\.[0-9]+\r\n)")))
      << "bash printed Debian's version: " << r.out;
  EXPECT_TRUE(contains(r.out, "answer=42")) << r.out;
  EXPECT_TRUE(contains(r.out, "root@")) << "bash's prompt on a terminal: " << r.out;
  EXPECT_EQ(quai({"rm", "test"}).exit_code, 0);
}

TEST_F(Debian, VolumeDataOutlivesTheContainer) {
  EXPECT_EQ(quai({"volume", "create", "my-vol"}).out, "my-vol\n");
  ASSERT_EQ(quai({"run", "-d", "--name", "devtest", "--mount", "source=my-vol,target=/app",
                  "debian", "sh", "-c", "echo kept > /app/data; sleep 600"})
                .exit_code,
            0);
  bool written = false;
  for (int i = 0; i < 100 && !written; ++i) {
    written = quai({"exec", "devtest", "cat", "/app/data"}).out == "kept\n";
    if (!written) ::usleep(50000);
  }
  EXPECT_TRUE(written);
  EXPECT_EQ(quai({"rm", "-f", "devtest"}).exit_code, 0);
  auto again = quai({"run", "--rm", "-v", "my-vol:/app", "debian", "cat", "/app/data"});
  EXPECT_EQ(again.out, "kept\n") << again.err;
  EXPECT_EQ(quai({"volume", "rm", "my-vol"}).exit_code, 0);
}

// Issue 4's Python web app: apt-get over the host's network while building, then a run
// without any network, the page fetched from inside the container.
TEST_F(Debian, PythonWebAppBuildsAndServesWithoutANetwork) {
  auto built =
      quai({"build", "-t", "webapp", source_dir() + "/tests/fixtures/build/python-app"}, 900);
  ASSERT_EQ(built.exit_code, 0) << built.both();
  auto config = quai({"image", "inspect", "--format",
                      "{{.Config.User}} {{.Config.WorkingDir}} {{json .Config.Entrypoint}} "
                      "{{json .Config.ExposedPorts}}",
                      "webapp"});
  EXPECT_EQ(config.out, "app /home/app/site [\"python3\",\"app.py\"] {\"8000/tcp\":{}}\n")
      << config.err;

  ASSERT_EQ(quai({"run", "-d", "--name", "web", "--network", "none", "webapp"}).exit_code, 0);
  const std::string fetch =
      "import urllib.request; "
      "print(urllib.request.urlopen('http://127.0.0.1:8000/').read().decode(), end='')";
  CommandResult page;
  for (int i = 0; i < 100 && page.out.empty(); ++i) {
    page = quai({"exec", "web", "python3", "-c", fetch});
    if (page.out.empty()) ::usleep(100000);
  }
  EXPECT_EQ(page.out,
            "<html><body><p>hello from quai</p><p>user=app cwd=/home/app/site</p></body></html>\n")
      << page.err;
  auto interfaces = quai({"exec", "web", "cat", "/proc/net/dev"});
  EXPECT_FALSE(contains(interfaces.out, "eth0")) << interfaces.out;
  EXPECT_EQ(quai({"rm", "-f", "web"}).exit_code, 0);
}

}  // namespace
}  // namespace quai::test
