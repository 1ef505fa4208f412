// Issue 3, acceptance 5 (image configs): images whose config is hostile — a huge Env, a
// User that does not exist or is out of range, a WorkingDir with "..", an Entrypoint that
// is not a list of strings, a config that is not JSON. Each is refused with an error that
// names the image (or archive) and the field, with Docker's exit code, or is contained;
// nothing is left behind. The archives are crafted here: busybox saved by quai, with its
// config replaced.

#include <filesystem>
#include <fstream>

#include "quai_env.h"

namespace quai::test {
namespace {

class QuaiHostileConfig : public QuaiTest {
 protected:
  void SetUp() override {
    QuaiTest::SetUp();
    if (IsSkipped()) return;
    ASSERT_EQ(quai({"save", "-o", path("busybox.tar"), "busybox"}).exit_code, 0);
    std::filesystem::create_directory(path("base"));
    ASSERT_EQ(run({"tar", "-C", path("base"), "-xf", path("busybox.tar")}).exit_code, 0);
    auto manifest = Json::parse(read_text(path("base/manifest.json")));
    base_config_ = Json::parse(read_text(path("base/") + manifest[0]["Config"].get<std::string>()));
    blobs_before_ = entries(root() + "/blobs/sha256");
  }
  void TearDown() override {
    if (dir_) {
      for (const auto& id : split_lines(quai({"ps", "-aq"}).out)) quai({"rm", "-f", id});
      expect_store_clean();
    }
    QuaiTest::TearDown();
  }

  // A docker-archive of busybox named `name` whose config file holds `config_text`.
  std::string archive(const std::string& name, const std::string& config_text) {
    std::string dir = path(name), file = path(name + ".tar");
    std::filesystem::copy(path("base"), dir, std::filesystem::copy_options::recursive);
    auto manifest = Json::parse(read_text(dir + "/manifest.json"));
    manifest[0]["Config"] = "config.json";
    manifest[0]["RepoTags"] = {name + ":latest"};
    std::ofstream(dir + "/manifest.json") << manifest.dump();
    std::ofstream(dir + "/config.json") << config_text;
    EXPECT_EQ(run({"tar", "-C", dir, "-cf", file, "."}).exit_code, 0);
    return file;
  }
  // busybox's config with `field` of its container config set to `value`, loaded as `name`.
  void load_with(const std::string& name, const std::string& field, const Json& value) {
    Json config = base_config_;
    config["config"][field] = value;
    auto loaded = quai({"load", "-i", archive(name, config.dump())});
    ASSERT_EQ(loaded.exit_code, 0) << loaded.both();
  }
  // `quai run` of `image` fails with 125 and an error that names all of `parts`.
  void expect_run_refused(const std::string& image, const std::vector<std::string>& parts) {
    auto ran = quai({"run", "--rm", image, "true"});
    EXPECT_EQ(ran.exit_code, 125) << ran.both();
    EXPECT_EQ(ran.out, "");
    for (const auto& part : parts) EXPECT_TRUE(contains(ran.err, part)) << ran.err;
  }
  // A load that fails names the archive and the field, and stores nothing.
  void expect_load_refused(const std::string& file, const std::vector<std::string>& parts) {
    auto loaded = quai({"load", "-i", file});
    EXPECT_EQ(loaded.exit_code, 1) << loaded.both();
    EXPECT_TRUE(contains(loaded.err, "load archive \"" + file + "\"")) << loaded.err;
    for (const auto& part : parts) EXPECT_TRUE(contains(loaded.err, part)) << loaded.err;
  }
  Json base_config_;
  std::vector<std::string> blobs_before_;
};

TEST_F(QuaiHostileConfig, HundredThousandEnvEntriesAreContained) {
  Json env = Json::array();
  for (int i = 0; i < 100000; ++i) env.push_back("V" + std::to_string(i) + "=x");
  load_with("hostile-env", "Env", env);
  auto ran = quai({"run", "--rm", "hostile-env", "sh", "-c", "echo $V0$V99999"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "xx\n");
}

TEST_F(QuaiHostileConfig, EnvValueOverTheKernelLimitIsRefusedAtRun) {
  load_with("hostile-env-value", "Env", {"BIG=" + std::string(1 << 20, 'x')});
  expect_run_refused("hostile-env-value", {"image \"hostile-env-value\": Env \"BIG\"", "execve"});
}

TEST_F(QuaiHostileConfig, ConfigOverFourMegabytesIsRefusedAtLoad) {
  Json config = base_config_;
  config["config"]["Env"] = {"BIG=" + std::string(4 << 20, 'x')};
  expect_load_refused(archive("hostile-huge", config.dump()),
                      {"config.json", "is larger than the 4194304 allowed"});
  EXPECT_EQ(entries(root() + "/blobs/sha256"), blobs_before_);
}

TEST_F(QuaiHostileConfig, UnknownUserNameIsRefusedAtRun) {
  load_with("hostile-user", "User", "nosuchuser");
  expect_run_refused("hostile-user", {"hostile-user", "User", "unable to find user nosuchuser"});
}

TEST_F(QuaiHostileConfig, UnknownGroupNameIsRefusedAtRun) {
  load_with("hostile-group", "User", "0:nosuchgroup");
  expect_run_refused("hostile-group",
                     {"hostile-group", "User", "unable to find group nosuchgroup"});
}

TEST_F(QuaiHostileConfig, NegativeAndOverflowingUidsAreRefused) {
  // 4294967295 is (uid_t)-1, which setresuid(2) reads as "leave unchanged": root.
  for (const char* user : {"-1", "4294967295", "4294967296", "0:4294967295", "99999999999999"}) {
    std::string name = "hostile-uid-" + std::to_string(std::hash<std::string>{}(user) % 100000);
    load_with(name, "User", user);
    expect_run_refused(name, {name, "User", user});
  }
}

TEST_F(QuaiHostileConfig, WorkingDirWithDotDotStaysInsideTheContainer) {
  std::string outside = path("escaped");
  load_with("hostile-workdir", "WorkingDir", "/../../../../../../.." + outside);
  auto ran = quai({"run", "--rm", "hostile-workdir", "pwd"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, outside + "\n");
  EXPECT_FALSE(std::filesystem::exists(outside)) << "made outside the container's root";
}

TEST_F(QuaiHostileConfig, RelativeWorkingDirIsRefused) {
  load_with("hostile-relative", "WorkingDir", "../relative");
  expect_run_refused("hostile-relative", {"hostile-relative", "WorkingDir", "absolute"});
}

TEST_F(QuaiHostileConfig, NullEntrypointIsNoEntrypoint) {
  load_with("null-entrypoint", "Entrypoint", nullptr);
  auto ran = quai({"run", "--rm", "null-entrypoint", "echo", "ok"});
  EXPECT_EQ(ran.exit_code, 0) << ran.err;
  EXPECT_EQ(ran.out, "ok\n");
}

TEST_F(QuaiHostileConfig, EntrypointThatIsNotAListOfStringsIsRefusedAtLoad) {
  for (const Json& entrypoint : {Json(42), Json::array({"sh", 1}), Json::object({{"a", "b"}})}) {
    Json config = base_config_;
    config["config"]["Entrypoint"] = entrypoint;
    expect_load_refused(archive("hostile-entrypoint", config.dump()),
                        {"config.json", "Entrypoint"});
    std::filesystem::remove_all(path("hostile-entrypoint"));
  }
  EXPECT_EQ(entries(root() + "/blobs/sha256"), blobs_before_);
}

TEST_F(QuaiHostileConfig, ConfigThatIsNotJsonIsRefusedAtLoad) {
  expect_load_refused(archive("not-json", "{\"architecture\": \"amd64\", this is not json"),
                      {"config.json", "parse"});
  EXPECT_EQ(entries(root() + "/blobs/sha256"), blobs_before_);
}

}  // namespace
}  // namespace quai::test
