#include <gtest/gtest.h>

#include "runtime/spec.h"

namespace quai::runtime {
namespace {

Json minimal() {
  return Json{{"ociVersion", "1.2.0"},
              {"root", {{"path", "rootfs"}}},
              {"process", {{"args", {"/bin/true"}}, {"cwd", "/"}}},
              {"linux", {{"namespaces", {{{"type", "mount"}}, {{"type", "pid"}}}}}}};
}

std::string parse_error(const Json& config) {
  auto spec = parse_spec(config.dump(), "/bundle");
  if (spec) return "no error";
  return spec.error().to_string();
}

TEST(SpecParse, MinimalConfigResolvesRootAgainstBundle) {
  auto spec = parse_spec(minimal().dump(), "/bundle");
  ASSERT_TRUE(spec) << spec.error().to_string();
  EXPECT_EQ(spec->root_path, "/bundle/rootfs");
  EXPECT_EQ(spec->process->args.at(0), "/bin/true");
  EXPECT_TRUE(spec->has_namespace("pid"));
  EXPECT_FALSE(spec->has_namespace("network"));
}

TEST(SpecParse, MalformedJsonNamesTheOffset) {
  auto spec = parse_spec("{\"ociVersion\": ", "/bundle");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().to_string().rfind("invalid JSON at byte 16", 0), 0u)
      << spec.error().to_string();
}

TEST(SpecParse, UnknownNamespaceTypeNamesTheField) {
  Json config = minimal();
  config["linux"]["namespaces"].push_back({{"type", "bogus"}});
  EXPECT_EQ(parse_error(config), "linux.namespaces[2].type: unknown namespace type \"bogus\"");
}

TEST(SpecParse, DuplicateNamespaceIsRefused) {
  Json config = minimal();
  config["linux"]["namespaces"].push_back({{"type", "pid"}});
  EXPECT_EQ(parse_error(config), "linux.namespaces[2].type: namespace \"pid\" is listed twice");
}

TEST(SpecParse, CgroupsPathWithDotDotIsRefused) {
  Json config = minimal();
  config["linux"]["cgroupsPath"] = "quai/../../escape";
  EXPECT_EQ(parse_error(config),
            "linux.cgroupsPath: \"quai/../../escape\" must not contain \"..\"");
}

TEST(SpecParse, VersionsOneZeroToOneThreeAreAccepted) {
  for (const char* version : {"1.0.2", "1.1.0", "1.2.1", "1.3.0"}) {
    Json config = minimal();
    config["ociVersion"] = version;
    EXPECT_EQ(parse_error(config), "no error") << version;
  }
  Json config = minimal();
  config["ociVersion"] = "2.0.0";
  EXPECT_EQ(parse_error(config),
            "ociVersion: unsupported version \"2.0.0\" (1.0 to 1.3 are supported)");
}

TEST(SpecParse, WrongTypesNameTheField) {
  Json config = minimal();
  config["process"]["user"] = {{"uid", -1}, {"gid", 0}};
  EXPECT_EQ(parse_error(config), "process.user.uid: must not be negative");
  config = minimal();
  config["process"]["rlimits"] = {{{"type", "RLIMIT_NOFILE"}, {"soft", 10}, {"hard", 5}}};
  EXPECT_EQ(parse_error(config),
            "process.rlimits[0].soft: RLIMIT_NOFILE soft limit is above its hard limit");
  config = minimal();
  config["mounts"] = {{{"destination", 3}}};
  EXPECT_EQ(parse_error(config), "mounts[0].destination: expected a string");
  config = minimal();
  config["process"]["cwd"] = "relative";
  EXPECT_EQ(parse_error(config), "process.cwd: \"relative\" is not an absolute path");
}

TEST(SpecParse, ResourcesAndSeccompAreRead) {
  Json config = minimal();
  config["linux"]["resources"] = {{"memory", {{"limit", 33554432}, {"swap", -1}}},
                                  {"pids", {{"limit", 20}}},
                                  {"devices", {{{"allow", false}, {"access", "rwm"}}}}};
  config["linux"]["seccomp"] = {
      {"defaultAction", "SCMP_ACT_ALLOW"},
      {"syscalls", {{{"names", {"getcwd"}}, {"action", "SCMP_ACT_ERRNO"}}}}};
  auto spec = parse_spec(config.dump(), "/b");
  ASSERT_TRUE(spec) << spec.error().to_string();
  EXPECT_EQ(*spec->linux_->resources->memory->limit, 33554432);
  EXPECT_EQ(*spec->linux_->resources->memory->swap, -1);
  EXPECT_EQ(*spec->linux_->resources->pids_limit, 20);
  EXPECT_EQ(spec->linux_->resources->devices.at(0).type, 'a');
  EXPECT_EQ(spec->linux_->seccomp->syscalls.at(0).names.at(0), "getcwd");
}

TEST(SpecParse, DeviceAccessMustBeRwmSubset) {
  Json config = minimal();
  config["linux"]["resources"] = {{"devices", {{{"allow", true}, {"access", "rwx"}}}}};
  EXPECT_EQ(parse_error(config),
            "linux.resources.devices[0].access: \"rwx\" is not a subset of \"rwm\"");
}

TEST(SpecParse, DefaultSpecParses) {
  auto spec = parse_spec(default_spec_json(false).dump(), "/b");
  ASSERT_TRUE(spec) << spec.error().to_string();
  EXPECT_TRUE(spec->has_namespace("cgroup"));
  auto rootless = parse_spec(default_spec_json(true).dump(), "/b");
  ASSERT_TRUE(rootless) << rootless.error().to_string();
  EXPECT_EQ(rootless->linux_->uid_mappings.size(), 1u);
}

}  // namespace
}  // namespace quai::runtime
