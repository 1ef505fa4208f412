#pragma once
// `stats` and `top`: what a running container uses, read from its cgroup (v1 or v2 per
// controller, as the host has it) and from /proc, as Docker's stats API reports it.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"

namespace quai::engine {

struct ContainerStats {
  uint64_t cpu_ns = 0;         // the container's CPU time so far
  uint64_t system_cpu_ns = 0;  // the host's (all CPUs), to turn deltas into a share
  unsigned online_cpus = 1;
  uint64_t memory_usage = 0;  // without the reclaimable page cache, as Docker shows it
  uint64_t memory_limit = 0;  // the host's memory when the container has no limit
  uint64_t pids = 0;
  uint64_t net_rx = 0, net_tx = 0;
  uint64_t block_read = 0, block_write = 0;
};

/// One sample. Busy when the container is not running.
Result<ContainerStats> read_stats(Engine& engine, const ContainerView& view);
/// CPU % between two samples, as `docker stats` computes it (100% is one whole CPU).
double cpu_percent(const ContainerStats& before, const ContainerStats& after);

/// The pids of the container's processes (its cgroup's), as seen from the host.
Result<std::vector<pid_t>> container_processes(Engine& engine, const ContainerView& view);

}  // namespace quai::engine
