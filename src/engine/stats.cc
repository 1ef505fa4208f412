#include "engine/stats.h"

#include <unistd.h>

#include <map>

#include "base/strings.h"
#include "engine/lifecycle.h"
#include "runtime/container.h"
#include "sys/file_io.h"

namespace quai::engine {
namespace {

// "key value" lines (memory.stat, cpu.stat) into a map; unreadable files give none.
std::map<std::string, uint64_t> read_key_values(const std::string& path) {
  std::map<std::string, uint64_t> values;
  auto text = sys::read_file(path);
  if (!text) return values;
  for (const auto& line : split(*text, '\n')) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    if (auto value = parse_uint64(trim(line.substr(space + 1))))
      values[line.substr(0, space)] = *value;
  }
  return values;
}

uint64_t read_number(const std::string& path) {
  auto text = sys::read_file(path);
  if (!text) return 0;
  auto value = parse_uint64(trim(*text));
  return value ? *value : 0;
}

uint64_t host_memory() {
  long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

// The first line of /proc/stat in nanoseconds: user+nice+system+idle+iowait+irq+softirq+steal.
uint64_t host_cpu_ns() {
  auto text = sys::read_file("/proc/stat");
  if (!text) return 0;
  auto fields = split(text->substr(0, text->find('\n')), ' ');
  std::erase(fields, "");
  uint64_t ticks = 0;
  for (size_t i = 1; i < fields.size() && i <= 8; ++i) ticks += parse_uint64(fields[i]).value_or(0);
  return ticks * (1'000'000'000 / static_cast<uint64_t>(::sysconf(_SC_CLK_TCK)));
}

// A v1 limit this large means none (the kernel's page-rounded LONG_MAX).
constexpr uint64_t kNoV1Limit = 1ull << 62;

void read_memory(const runtime::Cgroup& cgroup, ContainerStats& stats) {
  if (const auto* v1 = cgroup.layout().v1("memory")) {
    std::string dir = cgroup.directory(*v1);
    auto detail = read_key_values(dir + "/memory.stat");
    uint64_t usage = read_number(dir + "/memory.usage_in_bytes");
    uint64_t cache = detail["total_inactive_file"];
    stats.memory_usage = usage > cache ? usage - cache : 0;
    uint64_t limit = read_number(dir + "/memory.limit_in_bytes");
    stats.memory_limit = limit == 0 || limit >= kNoV1Limit ? host_memory() : limit;
  } else if (const auto* v2 = cgroup.layout().unified()) {
    std::string dir = cgroup.directory(*v2);
    uint64_t usage = read_number(dir + "/memory.current");
    uint64_t cache = read_key_values(dir + "/memory.stat")["inactive_file"];
    stats.memory_usage = usage > cache ? usage - cache : 0;
    uint64_t limit = read_number(dir + "/memory.max");  // "max" reads as 0
    stats.memory_limit = limit == 0 ? host_memory() : limit;
  }
  uint64_t host = host_memory();
  if (host > 0 && stats.memory_limit > host) stats.memory_limit = host;
}

void read_cpu(const runtime::Cgroup& cgroup, ContainerStats& stats) {
  if (const auto* v1 = cgroup.layout().v1("cpuacct")) {
    stats.cpu_ns = read_number(cgroup.directory(*v1) + "/cpuacct.usage");
  } else if (const auto* v2 = cgroup.layout().unified()) {
    stats.cpu_ns = read_key_values(cgroup.directory(*v2) + "/cpu.stat")["usage_usec"] * 1000;
  }
  stats.system_cpu_ns = host_cpu_ns();
  long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  stats.online_cpus = cpus > 0 ? static_cast<unsigned>(cpus) : 1;
}

void read_pids(const runtime::Cgroup& cgroup, ContainerStats& stats) {
  if (const auto* v1 = cgroup.layout().v1("pids")) {
    stats.pids = read_number(cgroup.directory(*v1) + "/pids.current");
  } else if (const auto* v2 = cgroup.layout().unified()) {
    stats.pids = read_number(cgroup.directory(*v2) + "/pids.current");
  }
}

// v1 blkio.throttle.io_service_bytes: "MAJ:MIN Read N" lines; v2 io.stat: "MAJ:MIN rbytes=N ...".
void read_block_io(const runtime::Cgroup& cgroup, ContainerStats& stats) {
  if (const auto* v1 = cgroup.layout().v1("blkio")) {
    auto text = sys::read_file(cgroup.directory(*v1) + "/blkio.throttle.io_service_bytes");
    for (const auto& line : split(text.value_or(""), '\n')) {
      auto fields = split(line, ' ');
      if (fields.size() != 3) continue;
      uint64_t value = parse_uint64(fields[2]).value_or(0);
      if (fields[1] == "Read") stats.block_read += value;
      if (fields[1] == "Write") stats.block_write += value;
    }
  } else if (const auto* v2 = cgroup.layout().unified()) {
    auto text = sys::read_file(cgroup.directory(*v2) + "/io.stat");
    for (const auto& field : split(text.value_or(""), ' ')) {
      auto eq = field.find('=');
      if (eq == std::string::npos) continue;
      uint64_t value = parse_uint64(trim(field.substr(eq + 1))).value_or(0);
      if (field.starts_with("rbytes")) stats.block_read += value;
      if (field.starts_with("wbytes")) stats.block_write += value;
    }
  }
}

// /proc/PID/net/dev inside the container's network namespace, loopback left out.
void read_network(pid_t pid, ContainerStats& stats) {
  auto text = sys::read_file(fmt::format("/proc/{}/net/dev", pid));
  for (const auto& line : split(text.value_or(""), '\n')) {
    auto colon = line.find(':');
    if (colon == std::string::npos || trim(line.substr(0, colon)) == "lo") continue;
    auto fields = split(line.substr(colon + 1), ' ');
    std::erase(fields, "");
    if (fields.size() < 9) continue;
    stats.net_rx += parse_uint64(fields[0]).value_or(0);
    stats.net_tx += parse_uint64(fields[8]).value_or(0);
  }
}

Result<runtime::Container> running_container(Engine& engine, const ContainerView& view) {
  TRY(require_running(view));
  return runtime::load_container(engine.runtime_options(), view.record.id);
}

}  // namespace

Result<ContainerStats> read_stats(Engine& engine, const ContainerView& view) {
  auto container = TRY(running_container(engine, view));
  auto cgroup = container.cgroup();
  ContainerStats stats;
  read_memory(cgroup, stats);
  read_cpu(cgroup, stats);
  read_pids(cgroup, stats);
  read_block_io(cgroup, stats);
  read_network(container.state.pid, stats);
  return stats;
}

double cpu_percent(const ContainerStats& before, const ContainerStats& after) {
  if (after.cpu_ns <= before.cpu_ns || after.system_cpu_ns <= before.system_cpu_ns) return 0.0;
  double container = static_cast<double>(after.cpu_ns - before.cpu_ns);
  double system = static_cast<double>(after.system_cpu_ns - before.system_cpu_ns);
  return container / system * after.online_cpus * 100.0;
}

Result<std::vector<pid_t>> container_processes(Engine& engine, const ContainerView& view) {
  auto container = TRY(running_container(engine, view));
  return container.cgroup().processes();
}

}  // namespace quai::engine
