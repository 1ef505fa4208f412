// config.json → Spec. Every check names the field so a user can fix the bundle.

#include <set>

#include "base/strings.h"
#include "runtime/spec.h"
#include "sys/file_io.h"

namespace quai::runtime {
namespace {

const std::set<std::string, std::less<>> kNamespaceTypes = {"pid", "network", "mount",  "ipc",
                                                            "uts", "user",    "cgroup", "time"};
const std::set<std::string, std::less<>> kPropagations = {
    "", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable"};

Result<uint32_t> read_u32(const JsonReader& r, std::string_view key) {
  return narrow_uint<uint32_t>(r, key, TRY(r.uint64(key)));
}

Result<std::optional<uint32_t>> read_optional_u32(const JsonReader& r, std::string_view key) {
  auto value = TRY(r.optional_uint64(key));
  if (!value) return std::optional<uint32_t>();
  return std::optional<uint32_t>(TRY(narrow_uint<uint32_t>(r, key, *value)));
}

Result<std::optional<uint16_t>> read_optional_u16(const JsonReader& r, std::string_view key) {
  auto value = TRY(r.optional_uint64(key));
  if (!value) return std::optional<uint16_t>();
  return std::optional<uint16_t>(TRY(narrow_uint<uint16_t>(r, key, *value)));
}

Result<User> parse_user(const JsonReader& r) {
  User user;
  user.uid = TRY(read_u32(r, "uid"));
  user.gid = TRY(read_u32(r, "gid"));
  user.umask = TRY(read_optional_u32(r, "umask"));
  for (const auto& item : TRY(r.array("additionalGids"))) {
    if (!item.value().is_number_unsigned() || item.value().get<uint64_t>() > UINT32_MAX) {
      return fail(item.error("", "expected a group id"));
    }
    user.additional_gids.push_back(item.value().get<uint32_t>());
  }
  return user;
}

Result<Capabilities> parse_capabilities(const JsonReader& r) {
  Capabilities caps;
  caps.bounding = TRY(r.strings("bounding"));
  caps.effective = TRY(r.strings("effective"));
  caps.inheritable = TRY(r.strings("inheritable"));
  caps.permitted = TRY(r.strings("permitted"));
  caps.ambient = TRY(r.strings("ambient"));
  return caps;
}

Result<std::vector<Rlimit>> parse_rlimits(const JsonReader& r) {
  std::vector<Rlimit> out;
  std::set<std::string> seen;
  for (const auto& item : TRY(r.array("rlimits"))) {
    Rlimit limit;
    limit.type = TRY(item.string("type"));
    limit.soft = TRY(item.uint64("soft"));
    limit.hard = TRY(item.uint64("hard"));
    if (!seen.insert(limit.type).second) return fail(item.error("type", "duplicate rlimit"));
    if (limit.soft > limit.hard) {
      return fail(
          item.error("soft", fmt::format("{} soft limit is above its hard limit", limit.type)));
    }
    out.push_back(std::move(limit));
  }
  return out;
}

Result<Process> parse_process_object(const JsonReader& r) {
  TRY(r.expect_object());
  Process process;
  process.terminal = TRY(r.boolean("terminal", false));
  if (r.has("consoleSize")) {
    auto size = TRY(r.object("consoleSize"));
    process.console_size = {TRY(read_u32(size, "height")), TRY(read_u32(size, "width"))};
  }
  if (r.has("user")) process.user = TRY(parse_user(TRY(r.object("user"))));
  process.args = TRY(r.strings("args"));
  process.env = TRY(r.strings("env"));
  process.cwd = TRY(r.optional_string("cwd")).value_or("/");
  if (process.cwd.empty() || process.cwd[0] != '/') {
    return fail(r.error("cwd", fmt::format("\"{}\" is not an absolute path", process.cwd)));
  }
  if (r.has("capabilities"))
    process.capabilities = TRY(parse_capabilities(TRY(r.object("capabilities"))));
  process.rlimits = TRY(parse_rlimits(r));
  process.no_new_privileges = TRY(r.boolean("noNewPrivileges", false));
  process.apparmor_profile = TRY(r.optional_string("apparmorProfile")).value_or("");
  process.selinux_label = TRY(r.optional_string("selinuxLabel")).value_or("");
  if (auto adj = TRY(r.optional_int64("oomScoreAdj"))) {
    if (*adj < -1000 || *adj > 1000) return fail(r.error("oomScoreAdj", "must be in -1000..1000"));
    process.oom_score_adj = static_cast<int>(*adj);
  }
  return process;
}

Result<std::vector<Mount>> parse_mounts(const JsonReader& r) {
  std::vector<Mount> out;
  for (const auto& item : TRY(r.array("mounts"))) {
    TRY(item.expect_object());
    Mount mount;
    mount.destination = TRY(item.string("destination"));
    if (mount.destination.empty()) return fail(item.error("destination", "must not be empty"));
    mount.source = TRY(item.optional_string("source")).value_or("");
    mount.type = TRY(item.optional_string("type")).value_or("");
    mount.options = TRY(item.strings("options"));
    out.push_back(std::move(mount));
  }
  return out;
}

Result<std::vector<Hook>> parse_hook_list(const JsonReader& r, std::string_view key) {
  std::vector<Hook> out;
  for (const auto& item : TRY(r.array(key))) {
    TRY(item.expect_object());
    Hook hook;
    hook.path = TRY(item.string("path"));
    if (hook.path.empty() || hook.path[0] != '/') {
      return fail(item.error("path", fmt::format("\"{}\" is not an absolute path", hook.path)));
    }
    hook.args = TRY(item.strings("args"));
    hook.env = TRY(item.strings("env"));
    if (auto timeout = TRY(item.optional_int64("timeout"))) {
      if (*timeout <= 0) return fail(item.error("timeout", "must be greater than zero"));
      hook.timeout_seconds = static_cast<int>(std::min<int64_t>(*timeout, INT32_MAX));
    }
    out.push_back(std::move(hook));
  }
  return out;
}

Result<Hooks> parse_hooks(const JsonReader& r) {
  Hooks hooks;
  hooks.prestart = TRY(parse_hook_list(r, "prestart"));
  hooks.create_runtime = TRY(parse_hook_list(r, "createRuntime"));
  hooks.create_container = TRY(parse_hook_list(r, "createContainer"));
  hooks.start_container = TRY(parse_hook_list(r, "startContainer"));
  hooks.poststart = TRY(parse_hook_list(r, "poststart"));
  hooks.poststop = TRY(parse_hook_list(r, "poststop"));
  return hooks;
}

Result<std::vector<Namespace>> parse_namespaces(const JsonReader& r) {
  std::vector<Namespace> out;
  std::set<std::string> seen;
  for (const auto& item : TRY(r.array("namespaces"))) {
    TRY(item.expect_object());
    Namespace ns;
    ns.type = TRY(item.string("type"));
    if (!kNamespaceTypes.contains(ns.type)) {
      return fail(item.error("type", fmt::format("unknown namespace type \"{}\"", ns.type)));
    }
    if (!seen.insert(ns.type).second) {
      return fail(item.error("type", fmt::format("namespace \"{}\" is listed twice", ns.type)));
    }
    ns.path = TRY(item.optional_string("path")).value_or("");
    if (!ns.path.empty() && ns.path[0] != '/') {
      return fail(item.error("path", fmt::format("\"{}\" is not an absolute path", ns.path)));
    }
    out.push_back(std::move(ns));
  }
  return out;
}

Result<std::vector<IdMapping>> parse_id_mappings(const JsonReader& r, std::string_view key) {
  std::vector<IdMapping> out;
  for (const auto& item : TRY(r.array(key))) {
    TRY(item.expect_object());
    IdMapping mapping;
    mapping.container_id = TRY(read_u32(item, "containerID"));
    mapping.host_id = TRY(read_u32(item, "hostID"));
    mapping.size = TRY(read_u32(item, "size"));
    if (mapping.size == 0) return fail(item.error("size", "must be greater than zero"));
    out.push_back(mapping);
  }
  return out;
}

Result<char> parse_device_type(const JsonReader& r, std::string_view key,
                               std::string_view allowed) {
  auto type = TRY(r.string(key));
  if (type.size() != 1 || allowed.find(type[0]) == std::string_view::npos) {
    return fail(r.error(key, fmt::format("invalid device type \"{}\"", type)));
  }
  return type[0];
}

Result<std::vector<Device>> parse_devices(const JsonReader& r) {
  std::vector<Device> out;
  for (const auto& item : TRY(r.array("devices"))) {
    TRY(item.expect_object());
    Device device;
    device.path = TRY(item.string("path"));
    if (device.path.empty() || device.path[0] != '/') {
      return fail(item.error("path", fmt::format("\"{}\" is not an absolute path", device.path)));
    }
    device.type = TRY(parse_device_type(item, "type", "cbup"));
    if (device.type != 'p') {
      device.major = TRY(item.int64("major"));
      device.minor = TRY(item.int64("minor"));
    }
    device.file_mode = TRY(read_optional_u32(item, "fileMode"));
    device.uid = TRY(read_optional_u32(item, "uid"));
    device.gid = TRY(read_optional_u32(item, "gid"));
    out.push_back(std::move(device));
  }
  return out;
}

Result<std::vector<DeviceRule>> parse_device_rules(const JsonReader& r) {
  std::vector<DeviceRule> out;
  for (const auto& item : TRY(r.array("devices"))) {
    TRY(item.expect_object());
    DeviceRule rule;
    rule.allow = TRY(item.boolean("allow", false));
    rule.type = item.has("type") ? TRY(parse_device_type(item, "type", "acb")) : 'a';
    rule.major = TRY(item.optional_int64("major"));
    rule.minor = TRY(item.optional_int64("minor"));
    rule.access = TRY(item.optional_string("access")).value_or("rwm");
    if (rule.access.find_first_not_of("rwm") != std::string::npos) {
      return fail(
          item.error("access", fmt::format("\"{}\" is not a subset of \"rwm\"", rule.access)));
    }
    out.push_back(std::move(rule));
  }
  return out;
}

Result<MemoryResources> parse_memory(const JsonReader& r) {
  MemoryResources memory;
  memory.limit = TRY(r.optional_int64("limit"));
  memory.reservation = TRY(r.optional_int64("reservation"));
  memory.swap = TRY(r.optional_int64("swap"));
  memory.kernel = TRY(r.optional_int64("kernel"));
  memory.kernel_tcp = TRY(r.optional_int64("kernelTCP"));
  memory.swappiness = TRY(r.optional_uint64("swappiness"));
  if (memory.swappiness && *memory.swappiness > 100) {
    return fail(r.error("swappiness", "must be in 0..100"));
  }
  if (r.has("disableOOMKiller"))
    memory.disable_oom_killer = TRY(r.boolean("disableOOMKiller", false));
  return memory;
}

Result<CpuResources> parse_cpu(const JsonReader& r) {
  CpuResources cpu;
  cpu.shares = TRY(r.optional_uint64("shares"));
  cpu.quota = TRY(r.optional_int64("quota"));
  cpu.period = TRY(r.optional_uint64("period"));
  cpu.realtime_runtime = TRY(r.optional_int64("realtimeRuntime"));
  cpu.realtime_period = TRY(r.optional_uint64("realtimePeriod"));
  cpu.cpus = TRY(r.optional_string("cpus")).value_or("");
  cpu.mems = TRY(r.optional_string("mems")).value_or("");
  cpu.idle = TRY(r.optional_int64("idle"));
  return cpu;
}

Result<std::vector<ThrottleDevice>> parse_throttle(const JsonReader& r, std::string_view key) {
  std::vector<ThrottleDevice> out;
  for (const auto& item : TRY(r.array(key))) {
    out.push_back({TRY(item.int64("major")), TRY(item.int64("minor")), TRY(item.uint64("rate"))});
  }
  return out;
}

Result<BlockIoResources> parse_block_io(const JsonReader& r) {
  BlockIoResources io;
  io.weight = TRY(read_optional_u16(r, "weight"));
  io.leaf_weight = TRY(read_optional_u16(r, "leafWeight"));
  for (const auto& item : TRY(r.array("weightDevice"))) {
    io.weight_devices.push_back({TRY(item.int64("major")), TRY(item.int64("minor")),
                                 TRY(read_optional_u16(item, "weight")),
                                 TRY(read_optional_u16(item, "leafWeight"))});
  }
  io.throttle_read_bps = TRY(parse_throttle(r, "throttleReadBpsDevice"));
  io.throttle_write_bps = TRY(parse_throttle(r, "throttleWriteBpsDevice"));
  io.throttle_read_iops = TRY(parse_throttle(r, "throttleReadIOPSDevice"));
  io.throttle_write_iops = TRY(parse_throttle(r, "throttleWriteIOPSDevice"));
  return io;
}

Result<NetworkResources> parse_network(const JsonReader& r) {
  NetworkResources network;
  network.class_id = TRY(read_optional_u32(r, "classID"));
  for (const auto& item : TRY(r.array("priorities"))) {
    network.priorities.emplace_back(TRY(item.string("name")), TRY(read_u32(item, "priority")));
  }
  return network;
}

Result<Resources> parse_resources_object(const JsonReader& r) {
  TRY(r.expect_object());
  Resources res;
  res.devices = TRY(parse_device_rules(r));
  if (r.has("memory")) res.memory = TRY(parse_memory(TRY(r.object("memory"))));
  if (r.has("cpu")) res.cpu = TRY(parse_cpu(TRY(r.object("cpu"))));
  if (r.has("pids")) res.pids_limit = TRY(TRY(r.object("pids")).int64("limit"));
  if (r.has("blockIO")) res.block_io = TRY(parse_block_io(TRY(r.object("blockIO"))));
  for (const auto& item : TRY(r.array("hugepageLimits"))) {
    std::string page_size = TRY(item.string("pageSize"));
    res.hugepage_limits.push_back({std::move(page_size), TRY(item.uint64("limit"))});
  }
  if (r.has("network")) res.network = TRY(parse_network(TRY(r.object("network"))));
  res.unified = TRY(r.string_map("unified"));
  return res;
}

Result<Seccomp> parse_seccomp(const JsonReader& r) {
  Seccomp seccomp;
  seccomp.default_action = TRY(r.string("defaultAction"));
  seccomp.default_errno_ret = TRY(read_optional_u32(r, "defaultErrnoRet"));
  seccomp.architectures = TRY(r.strings("architectures"));
  seccomp.flags = TRY(r.strings("flags"));
  seccomp.listener_path = TRY(r.optional_string("listenerPath")).value_or("");
  for (const auto& item : TRY(r.array("syscalls"))) {
    SeccompRule rule;
    rule.names = TRY(item.strings("names"));
    if (rule.names.empty()) return fail(item.error("names", "must not be empty"));
    rule.action = TRY(item.string("action"));
    rule.errno_ret = TRY(read_optional_u32(item, "errnoRet"));
    for (const auto& arg : TRY(item.array("args"))) {
      rule.args.push_back({TRY(read_u32(arg, "index")), TRY(arg.uint64("value")),
                           TRY(arg.optional_uint64("valueTwo")).value_or(0),
                           TRY(arg.string("op"))});
    }
    seccomp.syscalls.push_back(std::move(rule));
  }
  return seccomp;
}

Status check_cgroups_path(const JsonReader& r, const std::string& path) {
  // A systemd-style "slice:prefix:name" is translated later; any ".." could climb out of
  // the cgroup tree, so refuse it outright.
  for (const auto& part : split(path, '/')) {
    if (part == "..")
      return fail(r.error("cgroupsPath", fmt::format("\"{}\" must not contain \"..\"", path)));
  }
  return ok();
}

Result<Linux> parse_linux(const JsonReader& r) {
  TRY(r.expect_object());
  Linux linux_section;
  linux_section.namespaces = TRY(parse_namespaces(r));
  linux_section.uid_mappings = TRY(parse_id_mappings(r, "uidMappings"));
  linux_section.gid_mappings = TRY(parse_id_mappings(r, "gidMappings"));
  linux_section.devices = TRY(parse_devices(r));
  linux_section.cgroups_path = TRY(r.optional_string("cgroupsPath")).value_or("");
  TRY(check_cgroups_path(r, linux_section.cgroups_path));
  if (r.has("resources"))
    linux_section.resources = TRY(parse_resources_object(TRY(r.object("resources"))));
  linux_section.sysctl = TRY(r.string_map("sysctl"));
  if (r.has("seccomp")) linux_section.seccomp = TRY(parse_seccomp(TRY(r.object("seccomp"))));
  linux_section.rootfs_propagation = TRY(r.optional_string("rootfsPropagation")).value_or("");
  if (!kPropagations.contains(linux_section.rootfs_propagation)) {
    return fail(r.error("rootfsPropagation", fmt::format("unknown propagation \"{}\"",
                                                         linux_section.rootfs_propagation)));
  }
  linux_section.masked_paths = TRY(r.strings("maskedPaths"));
  linux_section.readonly_paths = TRY(r.strings("readonlyPaths"));
  linux_section.mount_label = TRY(r.optional_string("mountLabel")).value_or("");
  return linux_section;
}

Status check_version(const JsonReader& r, const std::string& version) {
  for (std::string_view prefix : {"1.0.", "1.1.", "1.2.", "1.3."}) {
    if (version.starts_with(prefix) || version == prefix.substr(0, 3)) return ok();
  }
  return fail(r.error(
      "ociVersion", fmt::format("unsupported version \"{}\" (1.0 to 1.3 are supported)", version)));
}

}  // namespace

bool Spec::has_namespace(std::string_view type) const { return find_namespace(type) != nullptr; }

const Namespace* Spec::find_namespace(std::string_view type) const {
  if (!linux_) return nullptr;
  for (const auto& ns : linux_->namespaces) {
    if (ns.type == type) return &ns;
  }
  return nullptr;
}

Result<Spec> parse_spec(std::string_view text, const std::string& bundle) {
  // The caller adds the file's path as context to every error.
  Json doc = TRY(parse_json(text, ""));
  JsonReader r(doc, "");
  if (!doc.is_object()) return fail(Errc::InvalidArgument, "expected a JSON object");
  Spec spec;
  spec.oci_version = TRY(r.string("ociVersion"));
  TRY(check_version(r, spec.oci_version));
  auto root = TRY(r.object("root"));
  spec.root_path = TRY(root.string("path"));
  if (spec.root_path.empty()) return fail(root.error("path", "must not be empty"));
  if (spec.root_path[0] != '/') spec.root_path = bundle + "/" + spec.root_path;
  spec.root_readonly = TRY(root.boolean("readonly", false));
  if (r.has("process")) spec.process = TRY(parse_process_object(TRY(r.object("process"))));
  spec.hostname = TRY(r.optional_string("hostname")).value_or("");
  spec.domainname = TRY(r.optional_string("domainname")).value_or("");
  spec.mounts = TRY(parse_mounts(r));
  if (r.has("hooks")) spec.hooks = TRY(parse_hooks(TRY(r.object("hooks"))));
  spec.annotations = TRY(r.string_map("annotations"));
  if (r.has("linux")) spec.linux_ = TRY(parse_linux(TRY(r.object("linux"))));
  return spec;
}

Result<Spec> load_spec(const std::string& bundle) {
  std::string path = bundle + "/config.json";
  auto text = TRY(sys::read_file(path));
  return with_context(parse_spec(text, bundle), "{}", path);
}

Result<Process> parse_process(std::string_view text, std::string_view origin) {
  Json doc = TRY(parse_json(text, origin));
  return with_context(parse_process_object(JsonReader(doc, "process")), "{}", origin);
}

Result<Resources> parse_resources(std::string_view text, std::string_view origin) {
  Json doc = TRY(parse_json(text, origin));
  return with_context(parse_resources_object(JsonReader(doc, "resources")), "{}", origin);
}

}  // namespace quai::runtime
