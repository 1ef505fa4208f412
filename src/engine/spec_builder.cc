#include "engine/spec_builder.h"

#include <sys/resource.h>

#include "base/strings.h"
#include "engine/security_defaults.h"
#include "runtime/capabilities.h"

namespace quai::engine {
namespace {

constexpr std::string_view kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Json base_mounts(const ContainerRecord& record) {
  Json mounts = Json::array({
      {{"destination", "/proc"},
       {"type", "proc"},
       {"source", "proc"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
      {{"destination", "/dev/pts"},
       {"type", "devpts"},
       {"source", "devpts"},
       {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}}},
      {{"destination", "/sys"},
       {"type", "sysfs"},
       {"source", "sysfs"},
       {"options", {"nosuid", "noexec", "nodev", "ro"}}},
      {{"destination", "/sys/fs/cgroup"},
       {"type", "cgroup"},
       {"source", "cgroup"},
       {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
      {{"destination", "/dev/mqueue"},
       {"type", "mqueue"},
       {"source", "mqueue"},
       {"options", {"nosuid", "noexec", "nodev"}}},
      {{"destination", "/dev/shm"},
       {"type", "tmpfs"},
       {"source", "shm"},
       {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
  });
  if (record.privileged) {
    mounts[3]["options"] = {"nosuid", "noexec", "nodev", "rw"};
    mounts[4]["options"] = {"nosuid", "noexec", "nodev", "relatime", "rw"};
  }
  return mounts;
}

Json etc_file_mounts(const SpecInputs& inputs) {
  Json mounts = Json::array();
  for (const char* file : {"hostname", "hosts", "resolv.conf"}) {
    mounts.push_back({{"destination", std::string("/etc/") + file},
                      {"type", "bind"},
                      {"source", inputs.container_dir + "/" + file},
                      {"options", {"rbind", "rprivate"}}});
  }
  return mounts;
}

std::vector<std::string> container_env(const ContainerRecord& record) {
  std::vector<std::string> env;
  bool has_path =
      std::ranges::any_of(record.env, [](const std::string& e) { return e.starts_with("PATH="); });
  if (!has_path) env.emplace_back(kDefaultPath);
  env.push_back("HOSTNAME=" + record.hostname);
  if (record.tty) env.emplace_back("TERM=xterm");
  env.insert(env.end(), record.env.begin(), record.env.end());
  return env;
}

// Limits above the host's hard limit cannot be set without CAP_SYS_RESOURCE (which root
// lacks on these machines) and would fail the start: clamp them, as the issue asks.
Json container_rlimits(const ContainerRecord& record) {
  Json limits = Json::array();
  for (const auto& u : record.ulimits) {
    std::string type = "RLIMIT_" + to_upper(u.name);
    int64_t hard = u.hard;
    if (type == "RLIMIT_NOFILE") {
      struct rlimit host {};
      ::getrlimit(RLIMIT_NOFILE, &host);
      if (host.rlim_max != RLIM_INFINITY)
        hard = std::min<int64_t>(hard, static_cast<int64_t>(host.rlim_max));
    }
    limits.push_back({{"type", type}, {"soft", std::min(u.soft, hard)}, {"hard", hard}});
  }
  return limits;
}

Json device_rules(bool privileged) {
  if (privileged) return Json::array({{{"allow", true}, {"access", "rwm"}}});
  Json rules = Json::array({{{"allow", false}, {"access", "rwm"}}});
  // The nodes the runtime creates in /dev, the pty multiplexer and its slaves.
  const std::pair<int, int> kAllowed[] = {{1, 3}, {1, 5}, {1, 7}, {1, 8},   {1, 9},
                                          {5, 0}, {5, 1}, {5, 2}, {136, -1}};
  for (auto [major, minor] : kAllowed) {
    Json rule{{"allow", true}, {"type", "c"}, {"major", major}, {"access", "rwm"}};
    if (minor >= 0) rule["minor"] = minor;
    rules.push_back(rule);
  }
  return rules;
}

Json resources(const ContainerRecord& record) {
  Json r{{"devices", device_rules(record.privileged)}};
  if (record.memory > 0) r["memory"] = {{"limit", record.memory}};
  if (record.nano_cpus > 0) {
    constexpr int64_t kPeriod = 100000;
    r["cpu"] = {{"quota", record.nano_cpus * kPeriod / 1000000000}, {"period", kPeriod}};
  }
  if (record.pids_limit > 0) r["pids"] = {{"limit", record.pids_limit}};
  return r;
}

Json namespaces(const ContainerRecord& record, const SpecInputs& inputs) {
  Json list = Json::array();
  for (const char* type : {"pid", "ipc", "uts", "mount", "cgroup"})
    list.push_back({{"type", type}});
  if (!inputs.network_namespace.empty())
    list.push_back({{"type", "network"}, {"path", inputs.network_namespace}});
  else if (record.network_mode != "host")
    list.push_back({{"type", "network"}});
  return list;
}

bool has_security_opt(const ContainerRecord& record, std::string_view option) {
  return std::ranges::count(record.security_opt, option) > 0;
}

Result<std::optional<Json>> seccomp_profile(const ContainerRecord& record,
                                            const std::vector<std::string>& caps) {
  if (record.privileged || has_security_opt(record, "seccomp=unconfined") ||
      has_security_opt(record, "seccomp:unconfined")) {
    return std::nullopt;
  }
  for (const auto& option : record.security_opt) {
    if (option.starts_with("seccomp=") || option.starts_with("seccomp:")) {
      return TRY_CTX(load_seccomp_profile_file(option.substr(8), caps), "--security-opt {}",
                     option);
    }
  }
  return default_seccomp_profile(caps);
}

Json user_mounts(const SpecInputs& inputs) {
  Json mounts = Json::array();
  for (const auto& m : inputs.mounts) {
    mounts.push_back({{"destination", m.destination},
                      {"type", m.type},
                      {"source", m.source},
                      {"options", m.options}});
  }
  return mounts;
}

}  // namespace

Result<std::vector<std::string>> container_args(const ContainerRecord& record) {
  std::vector<std::string> args = record.entrypoint;
  args.insert(args.end(), record.cmd.begin(), record.cmd.end());
  if (record.init) args.insert(args.begin(), {"/sbin/docker-init", "--"});
  if (args.empty()) return fail(Errc::InvalidArgument, "No command specified");
  return args;
}

Result<Json> build_oci_spec(const ContainerRecord& record, const SpecInputs& inputs) {
  auto caps =
      record.privileged
          ? runtime::bounding_capabilities()
          : TRY(apply_capability_changes(default_capabilities(), record.cap_add, record.cap_drop));
  auto args = TRY(container_args(record));
  Json process{{"terminal", record.tty},
               {"user",
                {{"uid", inputs.user.uid},
                 {"gid", inputs.user.gid},
                 {"additionalGids", inputs.user.additional_gids}}},
               {"args", args},
               {"env", container_env(record)},
               {"cwd", record.working_dir.empty() ? "/" : record.working_dir},
               {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
               {"rlimits", container_rlimits(record)},
               {"noNewPrivileges", has_security_opt(record, "no-new-privileges") ||
                                       has_security_opt(record, "no-new-privileges:true") ||
                                       has_security_opt(record, "no-new-privileges=true")}};
  Json mounts = base_mounts(record);
  for (auto& m : etc_file_mounts(inputs)) mounts.push_back(m);
  for (auto& m : user_mounts(inputs)) mounts.push_back(m);
  if (record.init) {
    // Where Docker puts its init, and what container_args() runs.
    mounts.push_back({{"destination", "/sbin/docker-init"},
                      {"type", "bind"},
                      {"source", inputs.init_binary},
                      {"options", {"rbind", "ro", "rprivate"}}});
  }
  Json linux_section{{"namespaces", namespaces(record, inputs)},
                     {"resources", resources(record)},
                     {"cgroupsPath", "/quai/" + record.id}};
  if (!record.privileged) {
    linux_section["maskedPaths"] = default_masked_paths();
    linux_section["readonlyPaths"] = default_readonly_paths();
  }
  if (auto profile = TRY(seccomp_profile(record, caps))) linux_section["seccomp"] = *profile;
  return Json{{"ociVersion", "1.0.2"},
              {"process", process},
              {"root", {{"path", inputs.rootfs}, {"readonly", record.read_only}}},
              {"hostname", record.hostname},
              {"mounts", mounts},
              {"linux", linux_section}};
}

}  // namespace quai::engine
