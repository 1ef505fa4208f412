// Resources on the unified hierarchy (cgroup2): interface files and unit conversions
// from the v1-shaped OCI fields, following the runtime spec's cgroup v2 mapping.

#include <set>

#include "base/log.h"
#include "base/strings.h"
#include "runtime/cgroup.h"
#include "runtime/device_filter.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::runtime {
namespace {

std::string max_or(int64_t value) { return value < 0 ? "max" : std::to_string(value); }

Status apply_memory(const std::string& dir, const MemoryResources& memory) {
  if (memory.limit) TRY(write_cgroup_file(dir, "memory.max", max_or(*memory.limit)));
  if (memory.reservation) TRY(write_cgroup_file(dir, "memory.low", max_or(*memory.reservation)));
  if (memory.swap) {
    // OCI's swap is memory+swap; memory.swap.max is swap alone.
    std::string value = "max";
    if (*memory.swap >= 0) {
      int64_t limit = memory.limit.value_or(0);
      if (*memory.swap < limit) {
        return fail(Errc::InvalidArgument,
                    "linux.resources.memory.swap: {} is below the memory limit {}", *memory.swap,
                    limit);
      }
      value = std::to_string(*memory.swap - limit);
    }
    if (sys::path_exists(dir + "/memory.swap.max"))
      TRY(write_cgroup_file(dir, "memory.swap.max", value));
  }
  if (memory.disable_oom_killer && *memory.disable_oom_killer) {
    log::warn("linux.resources.memory.disableOOMKiller has no cgroup v2 equivalent; ignored");
  }
  if (memory.swappiness)
    log::warn("linux.resources.memory.swappiness has no cgroup v2 equivalent; ignored");
  return ok();
}

Status apply_cpu(const std::string& dir, const CpuResources& cpu) {
  if (cpu.shares)
    TRY(write_cgroup_file(dir, "cpu.weight", std::to_string(cpu_shares_to_weight(*cpu.shares))));
  if (cpu.quota || cpu.period) {
    std::string quota = cpu.quota ? max_or(*cpu.quota) : "max";
    uint64_t period = cpu.period.value_or(100000);
    TRY(write_cgroup_file(dir, "cpu.max", fmt::format("{} {}", quota, period)));
  }
  if (cpu.idle) TRY(write_cgroup_file(dir, "cpu.idle", std::to_string(*cpu.idle)));
  if (!cpu.cpus.empty()) TRY(write_cgroup_file(dir, "cpuset.cpus", cpu.cpus));
  if (!cpu.mems.empty()) TRY(write_cgroup_file(dir, "cpuset.mems", cpu.mems));
  if (cpu.realtime_period || cpu.realtime_runtime) {
    return fail(Errc::Unsupported, "linux.resources.cpu: realtime settings need cgroup v1");
  }
  return ok();
}

std::string io_max_line(int64_t major, int64_t minor, std::string_view key, uint64_t rate) {
  return fmt::format("{}:{} {}={}", major, minor, key, rate);
}

Status apply_io(const std::string& dir, const BlockIoResources& io) {
  if (io.weight) {
    TRY(write_cgroup_file(dir, "io.weight",
                          fmt::format("default {}", blkio_weight_to_io_weight(*io.weight))));
  }
  for (const auto& d : io.weight_devices) {
    if (d.weight) {
      TRY(write_cgroup_file(
          dir, "io.weight",
          fmt::format("{}:{} {}", d.major, d.minor, blkio_weight_to_io_weight(*d.weight))));
    }
  }
  const std::pair<const std::vector<ThrottleDevice>*, const char*> throttles[] = {
      {&io.throttle_read_bps, "rbps"},
      {&io.throttle_write_bps, "wbps"},
      {&io.throttle_read_iops, "riops"},
      {&io.throttle_write_iops, "wiops"}};
  for (const auto& [devices, key] : throttles) {
    for (const auto& d : *devices)
      TRY(write_cgroup_file(dir, "io.max", io_max_line(d.major, d.minor, key, d.rate)));
  }
  return ok();
}

std::set<std::string> needed_controllers(const Resources* resources) {
  std::set<std::string> out;
  if (resources == nullptr) return out;
  if (resources->memory) out.insert("memory");
  if (resources->cpu) {
    if (resources->cpu->shares || resources->cpu->quota || resources->cpu->period ||
        resources->cpu->idle) {
      out.insert("cpu");
    }
    if (!resources->cpu->cpus.empty() || !resources->cpu->mems.empty()) out.insert("cpuset");
  }
  if (resources->pids_limit) out.insert("pids");
  if (resources->block_io) out.insert("io");
  if (!resources->hugepage_limits.empty()) out.insert("hugetlb");
  for (const auto& [file, value] : resources->unified) out.insert(file.substr(0, file.find('.')));
  return out;
}

}  // namespace

uint64_t cpu_shares_to_weight(uint64_t shares) {
  if (shares == 0) return 100;
  if (shares < 2) shares = 2;
  if (shares > 262144) shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t blkio_weight_to_io_weight(uint64_t weight) {
  if (weight < 10) weight = 10;
  if (weight > 1000) weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

Status enable_v2_controllers(const std::string& mount_point, const std::string& dir,
                             const Resources* resources) {
  auto wanted = needed_controllers(resources);
  if (wanted.empty()) return ok();
  auto available_text = TRY(sys::read_file(mount_point + "/cgroup.controllers"));
  std::string enable;
  for (const auto& name : split(trim(available_text), ' ')) {
    if (wanted.contains(name)) enable += (enable.empty() ? "+" : " +") + name;
  }
  if (enable.empty()) return ok();
  // Each ancestor must delegate the controllers to its children; the leaf must not.
  std::string current = mount_point;
  for (const auto& part : split(dir.substr(mount_point.size()), '/')) {
    if (part.empty()) continue;
    TRY(write_cgroup_file(current, "cgroup.subtree_control", enable));
    current += "/" + part;
  }
  return ok();
}

Status apply_v2(const std::string& dir, const Resources& resources) {
  if (resources.memory) TRY(apply_memory(dir, *resources.memory));
  if (resources.cpu) TRY(apply_cpu(dir, *resources.cpu));
  if (resources.pids_limit) {
    int64_t limit = *resources.pids_limit;
    TRY(write_cgroup_file(dir, "pids.max", limit > 0 ? std::to_string(limit) : "max"));
  }
  if (resources.block_io) TRY(apply_io(dir, *resources.block_io));
  for (const auto& l : resources.hugepage_limits) {
    TRY(write_cgroup_file(dir, "hugetlb." + l.page_size + ".max", std::to_string(l.limit)));
  }
  if (!resources.devices.empty()) {
    TRY_CTX(attach_device_filter(dir, resources.devices), "linux.resources.devices");
  }
  if (resources.network) log::warn("linux.resources.network has no cgroup v2 equivalent; ignored");
  return apply_unified_keys(dir, resources.unified);
}

Status apply_unified_keys(const std::string& dir, const std::map<std::string, std::string>& keys) {
  for (const auto& [file, value] : keys) {
    if (file.empty() || file.find('/') != std::string::npos || file.starts_with(".")) {
      return fail(Errc::InvalidArgument, "linux.resources.unified: \"{}\" is not a file name",
                  file);
    }
    TRY_CTX(write_cgroup_file(dir, file, value), "linux.resources.unified.{}", file);
  }
  return ok();
}

}  // namespace quai::runtime
