// Resources on cgroup v1 hierarchies; in hybrid mode, controllers that sit on the
// cgroup2 side (hugetlb on these machines) and `unified` keys go to the unified directory.

#include <cerrno>

#include "base/log.h"
#include "runtime/cgroup.h"
#include "runtime/device_filter.h"
#include "sys/fs.h"

namespace quai::runtime {
namespace {

std::string limit_text(int64_t value) { return value < 0 ? "-1" : std::to_string(value); }

std::string device_rule_text(const DeviceRule& rule) {
  auto number = [](const std::optional<int64_t>& n) {
    return n && *n >= 0 ? std::to_string(*n) : std::string("*");
  };
  if (rule.type == 'a') return "a";
  return fmt::format("{} {}:{} {}", rule.type, number(rule.major), number(rule.minor), rule.access);
}

class V1Writer {
 public:
  explicit V1Writer(const Cgroup& cgroup) : cgroup_(cgroup) {}

  /// The directory of the hierarchy that has `controller`, or empty with a warning.
  std::string dir(std::string_view controller, std::string_view what) const {
    if (const Hierarchy* h = cgroup_.layout().v1(controller)) return cgroup_.directory(*h);
    log::warn("{}: no cgroup v1 \"{}\" hierarchy is mounted; ignored", what, controller);
    return "";
  }

  // Optional knobs: a file the kernel lacks is skipped with a warning rather than failing
  // the container (blkio.weight without CFQ/BFQ, memsw without swap accounting).
  Status write_if_present(const std::string& dir, const std::string& file,
                          std::string_view value) const {
    if (!sys::path_exists(dir + "/" + file)) {
      log::warn("cgroup \"{}\": {} is not supported by this kernel; ignored", dir, file);
      return ok();
    }
    return write_cgroup_file(dir, file, value);
  }

 private:
  const Cgroup& cgroup_;
};

Status apply_memory(const V1Writer& w, const MemoryResources& memory) {
  std::string dir = w.dir("memory", "linux.resources.memory");
  if (dir.empty()) return ok();
  if (memory.limit) {
    // With swap accounting the memsw limit must stay >= the memory limit at every step:
    // when the new limit fails, raise memsw first and retry.
    auto limited = write_cgroup_file(dir, "memory.limit_in_bytes", limit_text(*memory.limit));
    if (memory.swap)
      TRY(w.write_if_present(dir, "memory.memsw.limit_in_bytes", limit_text(*memory.swap)));
    if (!limited) TRY(write_cgroup_file(dir, "memory.limit_in_bytes", limit_text(*memory.limit)));
  } else if (memory.swap) {
    TRY(w.write_if_present(dir, "memory.memsw.limit_in_bytes", limit_text(*memory.swap)));
  }
  if (memory.reservation) {
    TRY(write_cgroup_file(dir, "memory.soft_limit_in_bytes", limit_text(*memory.reservation)));
  }
  if (memory.kernel)
    TRY(w.write_if_present(dir, "memory.kmem.limit_in_bytes", limit_text(*memory.kernel)));
  if (memory.kernel_tcp) {
    TRY(w.write_if_present(dir, "memory.kmem.tcp.limit_in_bytes", limit_text(*memory.kernel_tcp)));
  }
  if (memory.swappiness) {
    TRY(write_cgroup_file(dir, "memory.swappiness", std::to_string(*memory.swappiness)));
  }
  if (memory.disable_oom_killer && *memory.disable_oom_killer) {
    TRY(write_cgroup_file(dir, "memory.oom_control", "1"));
  }
  return ok();
}

Status apply_cpu(const V1Writer& w, const CpuResources& cpu) {
  bool wants_cpu = cpu.shares || cpu.quota || cpu.period || cpu.realtime_period ||
                   cpu.realtime_runtime || cpu.idle;
  if (wants_cpu) {
    std::string dir = w.dir("cpu", "linux.resources.cpu");
    if (!dir.empty()) {
      if (cpu.shares) TRY(write_cgroup_file(dir, "cpu.shares", std::to_string(*cpu.shares)));
      // The period goes first: a quota is checked against the current period.
      if (cpu.period) TRY(write_cgroup_file(dir, "cpu.cfs_period_us", std::to_string(*cpu.period)));
      if (cpu.quota) TRY(write_cgroup_file(dir, "cpu.cfs_quota_us", std::to_string(*cpu.quota)));
      if (cpu.realtime_period) {
        TRY(write_cgroup_file(dir, "cpu.rt_period_us", std::to_string(*cpu.realtime_period)));
      }
      if (cpu.realtime_runtime) {
        TRY(write_cgroup_file(dir, "cpu.rt_runtime_us", std::to_string(*cpu.realtime_runtime)));
      }
      if (cpu.idle) TRY(w.write_if_present(dir, "cpu.idle", std::to_string(*cpu.idle)));
    }
  }
  if (!cpu.cpus.empty() || !cpu.mems.empty()) {
    std::string dir = w.dir("cpuset", "linux.resources.cpu.cpus");
    if (dir.empty()) return ok();
    if (!cpu.cpus.empty()) TRY(write_cgroup_file(dir, "cpuset.cpus", cpu.cpus));
    if (!cpu.mems.empty()) TRY(write_cgroup_file(dir, "cpuset.mems", cpu.mems));
  }
  return ok();
}

Status apply_devices(const Cgroup& cgroup, const V1Writer& w,
                     const std::vector<DeviceRule>& rules) {
  if (rules.empty()) return ok();
  // Hybrid hosts may have no v1 devices hierarchy: filter on the cgroup2 side instead.
  const Hierarchy* unified = cgroup.layout().unified();
  if (cgroup.layout().v1("devices") == nullptr && unified != nullptr) {
    return with_context(attach_device_filter(cgroup.directory(*unified), rules),
                        "linux.resources.devices");
  }
  std::string dir = w.dir("devices", "linux.resources.devices");
  if (dir.empty()) return ok();
  for (const auto& rule : rules) {
    TRY(write_cgroup_file(dir, rule.allow ? "devices.allow" : "devices.deny",
                          device_rule_text(rule)));
  }
  for (const auto& rule : default_allowed_devices()) {
    TRY(write_cgroup_file(dir, "devices.allow", device_rule_text(rule)));
  }
  return ok();
}

Status write_throttle(const std::string& dir, const std::string& file,
                      const std::vector<ThrottleDevice>& devices) {
  for (const auto& d : devices) {
    TRY(write_cgroup_file(dir, file, fmt::format("{}:{} {}", d.major, d.minor, d.rate)));
  }
  return ok();
}

Status apply_block_io(const V1Writer& w, const BlockIoResources& io) {
  std::string dir = w.dir("blkio", "linux.resources.blockIO");
  if (dir.empty()) return ok();
  if (io.weight) TRY(w.write_if_present(dir, "blkio.weight", std::to_string(*io.weight)));
  if (io.leaf_weight)
    TRY(w.write_if_present(dir, "blkio.leaf_weight", std::to_string(*io.leaf_weight)));
  for (const auto& d : io.weight_devices) {
    if (d.weight) {
      TRY(w.write_if_present(dir, "blkio.weight_device",
                             fmt::format("{}:{} {}", d.major, d.minor, *d.weight)));
    }
    if (d.leaf_weight) {
      TRY(w.write_if_present(dir, "blkio.leaf_weight_device",
                             fmt::format("{}:{} {}", d.major, d.minor, *d.leaf_weight)));
    }
  }
  TRY(write_throttle(dir, "blkio.throttle.read_bps_device", io.throttle_read_bps));
  TRY(write_throttle(dir, "blkio.throttle.write_bps_device", io.throttle_write_bps));
  TRY(write_throttle(dir, "blkio.throttle.read_iops_device", io.throttle_read_iops));
  TRY(write_throttle(dir, "blkio.throttle.write_iops_device", io.throttle_write_iops));
  return ok();
}

Status apply_hugetlb(const Cgroup& cgroup, const std::vector<HugepageLimit>& limits) {
  if (limits.empty()) return ok();
  if (const Hierarchy* h = cgroup.layout().v1("hugetlb")) {
    for (const auto& l : limits) {
      TRY(write_cgroup_file(cgroup.directory(*h), "hugetlb." + l.page_size + ".limit_in_bytes",
                            std::to_string(l.limit)));
    }
    return ok();
  }
  // Hybrid hosts may keep hugetlb on the cgroup2 side (this project's machines do).
  const Hierarchy* unified = cgroup.layout().unified();
  if (unified != nullptr && unified->has("hugetlb")) {
    for (const auto& l : limits) {
      TRY(write_cgroup_file(cgroup.directory(*unified), "hugetlb." + l.page_size + ".max",
                            std::to_string(l.limit)));
    }
    return ok();
  }
  return fail(Errc::Unsupported,
              "linux.resources.hugepageLimits: no hugetlb controller is available");
}

// net_cls and net_prio are often left unmounted (binding them to v1 disables cgroup2
// socket matching): a config that asks for them cannot be honoured, and the spec says
// create must then fail, as crun does.
Status apply_network(const Cgroup& cgroup, const NetworkResources& network) {
  const std::pair<bool, const char*> wanted[] = {{network.class_id.has_value(), "net_cls"},
                                                 {!network.priorities.empty(), "net_prio"}};
  for (const auto& [asked, controller] : wanted) {
    if (asked && cgroup.layout().v1(controller) == nullptr) {
      return fail(Errc::Unsupported,
                  "linux.resources.network: no cgroup v1 \"{}\" hierarchy is mounted", controller);
    }
  }
  if (network.class_id) {
    std::string dir = cgroup.directory(*cgroup.layout().v1("net_cls"));
    TRY(write_cgroup_file(dir, "net_cls.classid", std::to_string(*network.class_id)));
  }
  for (const auto& [name, priority] : network.priorities) {
    std::string dir = cgroup.directory(*cgroup.layout().v1("net_prio"));
    TRY(write_cgroup_file(dir, "net_prio.ifpriomap", fmt::format("{} {}", name, priority)));
  }
  return ok();
}

}  // namespace

Status apply_v1(const Cgroup& cgroup, const Resources& resources) {
  V1Writer w(cgroup);
  if (resources.memory) TRY(apply_memory(w, *resources.memory));
  if (resources.cpu) TRY(apply_cpu(w, *resources.cpu));
  if (resources.pids_limit) {
    std::string dir = w.dir("pids", "linux.resources.pids");
    int64_t limit = *resources.pids_limit;
    if (!dir.empty())
      TRY(write_cgroup_file(dir, "pids.max", limit > 0 ? std::to_string(limit) : "max"));
  }
  TRY(apply_devices(cgroup, w, resources.devices));
  if (resources.block_io) TRY(apply_block_io(w, *resources.block_io));
  TRY(apply_hugetlb(cgroup, resources.hugepage_limits));
  if (resources.network) TRY(apply_network(cgroup, *resources.network));
  if (!resources.unified.empty()) {
    const Hierarchy* unified = cgroup.layout().unified();
    if (unified == nullptr) {
      return fail(Errc::Unsupported, "linux.resources.unified: cgroup2 is not mounted");
    }
    TRY(apply_unified_keys(cgroup.directory(*unified), resources.unified));
  }
  return ok();
}

}  // namespace quai::runtime
