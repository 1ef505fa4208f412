#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/seccomp_test_support.h"
#include "engine/security_defaults.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

class SeccompFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/quai-seccomp-file.XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    dir_ = templ;
  }
  void TearDown() override { ASSERT_TRUE(sys::remove_tree(dir_)); }

  std::string write(const std::string& text) {
    std::string path = dir_ + "/profile" + std::to_string(++files_) + ".json";
    std::ofstream(path) << text;
    return path;
  }
  // The error text of loading `profile` with the default capabilities, the file's name
  // replaced by "F".
  std::string error_of(const Json& profile) {
    std::string path = write(profile.dump());
    auto loaded = load_seccomp_profile_file(path, default_capabilities());
    if (loaded) return "no error";
    std::string text = loaded.error().to_string();
    if (auto at = text.find(path); at != std::string::npos) text.replace(at, path.size(), "F");
    return text;
  }

  std::string dir_;
  int files_ = 0;
};

Json docker_profile() {
  return Json::parse(R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 1,
    "archMap": [
      {"architecture": "SCMP_ARCH_X86_64",
       "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
      {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
    ],
    "syscalls": [
      {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW", "comment": "basics"},
      {"name": "getcwd", "action": "SCMP_ACT_ALLOW"},
      {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
       "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
       "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
      {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64"]}},
      {"names": ["sync_file_range2"], "action": "SCMP_ACT_ALLOW",
       "includes": {"arches": ["arm64", "ppc64le"]}},
      {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
      {"names": ["future_call"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "999.0"}},
      {"names": ["old_only"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "3.0"}},
      {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
    ]
  })");
}

std::vector<std::string> rule_names(const Json& profile) {
  std::vector<std::string> out;
  for (const auto& rule : profile["syscalls"]) out.push_back(rule["names"][0]);
  return out;
}

TEST_F(SeccompFile, DockerShapeBecomesOciForThisMachine) {
  auto loaded = load_seccomp_profile_file(write(docker_profile().dump()), default_capabilities());
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ((*loaded)["architectures"],
            Json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
  EXPECT_EQ((*loaded)["defaultErrnoRet"], 1);
  EXPECT_EQ(rule_names(*loaded),
            (std::vector<std::string>{"read", "getcwd", "clone", "arch_prctl", "ptrace", "kill"}));
  EXPECT_EQ((*loaded)["syscalls"].back()["errnoRet"], 38);
  EXPECT_FALSE((*loaded)["syscalls"][0].contains("comment"));
  auto program = testing::compile_profile(*loaded);
  EXPECT_TRUE(program) << program.error().to_string();
}

TEST_F(SeccompFile, IncludedAndExcludedCapabilitiesSwitchRules) {
  std::string path = write(docker_profile().dump());
  auto admin = load_seccomp_profile_file(path, {"sys_admin"});
  ASSERT_TRUE(admin) << admin.error().to_string();
  auto names = rule_names(*admin);
  EXPECT_EQ(std::count(names.begin(), names.end(), "mount"), 1);
  EXPECT_EQ(std::count(names.begin(), names.end(), "clone"), 0);
}

TEST_F(SeccompFile, OciShapePassesThrough) {
  Json oci = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"architectures", {"SCMP_ARCH_X86_64"}},
      {"flags", {"SECCOMP_FILTER_FLAG_LOG"}},
      {"syscalls",
       {{{"names", {"getcwd"}},
         {"action", "SCMP_ACT_ERRNO"},
         {"errnoRet", 1},
         {"args", {{{"index", 1}, {"value", 7}, {"valueTwo", 0}, {"op", "SCMP_CMP_EQ"}}}}}}}};
  auto loaded = load_seccomp_profile_file(write(oci.dump()), {});
  ASSERT_TRUE(loaded) << loaded.error().to_string();
  EXPECT_EQ(*loaded, oci);
}

TEST_F(SeccompFile, MissingFileIsNotFound) {
  auto loaded = load_seccomp_profile_file(dir_ + "/none.json", {});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), Errc::NotFound);
  EXPECT_EQ(loaded.error().to_string(),
            "seccomp profile: open \"" + dir_ + "/none.json\": No such file or directory");
}

TEST_F(SeccompFile, ErrorsNameTheFileAndTheField) {
  Json profile = docker_profile();
  profile["syscalls"][3]["args"][0]["op"] = "SCMP_CMP_ABOUT";
  EXPECT_EQ(error_of(profile),
            "seccomp profile \"F\": syscalls[3].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"");
  profile = docker_profile();
  profile["syscalls"][2]["includes"]["caps"] = {"CAP_TELEPORT"};
  EXPECT_EQ(error_of(profile),
            "seccomp profile \"F\": syscalls[2].includes.caps[0]: unknown capability "
            "\"CAP_TELEPORT\"");
  profile = docker_profile();
  profile["syscalls"][1].erase("action");
  EXPECT_EQ(error_of(profile), "seccomp profile \"F\": syscalls[1].action: missing");
  profile = docker_profile();
  profile["syscalls"][6]["includes"]["minKernel"] = "new";
  EXPECT_EQ(error_of(profile),
            "seccomp profile \"F\": syscalls[6].includes.minKernel: invalid version \"new\"");
  profile = docker_profile();
  profile["syscalls"][3]["args"][0]["index"] = 6;
  EXPECT_EQ(error_of(profile), "seccomp profile \"F\": syscalls[3].args[0].index: must be below 6");
  profile = docker_profile();
  profile["syscalls"][0]["names"] = Json::array();
  EXPECT_EQ(error_of(profile),
            "seccomp profile \"F\": syscalls[0].names: must name at least one syscall");
  EXPECT_EQ(error_of({{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}}),
            "seccomp profile \"F\": architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"");
  EXPECT_EQ(error_of({{"defaultAction", "SCMP_ACT_EXPLODE"}}),
            "seccomp profile \"F\": defaultAction: unknown action \"SCMP_ACT_EXPLODE\"");
}

TEST_F(SeccompFile, NotifyIsUnsupportedAndBadJsonNamesTheOffset) {
  std::string path = write(R"({"defaultAction": "SCMP_ACT_NOTIFY"})");
  auto notify = load_seccomp_profile_file(path, {});
  ASSERT_FALSE(notify);
  EXPECT_EQ(notify.error().code(), Errc::Unsupported);
  auto broken = load_seccomp_profile_file(write("{\"defaultAction\": "), {});
  ASSERT_FALSE(broken);
  EXPECT_TRUE(broken.error().to_string().starts_with("seccomp profile \"" + dir_))
      << broken.error().to_string();
  EXPECT_NE(broken.error().to_string().find("invalid JSON at byte"), std::string::npos);
}

}  // namespace
}  // namespace quai::engine
