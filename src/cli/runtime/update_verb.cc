// update: change a container's cgroup limits from a LinuxResources JSON or flags.

#include <unistd.h>

#include <memory>

#include "cli/runtime/verbs.h"
#include "sys/file_io.h"

namespace quai::cli {
namespace {

struct UpdateArgs {
  std::string id;
  std::string resources_file;
  std::optional<int64_t> memory, memory_swap, memory_reservation, cpu_quota, pids_limit;
  std::optional<uint64_t> cpu_shares, cpu_period;
  std::optional<uint16_t> blkio_weight;
  std::string cpuset_cpus, cpuset_mems;
};

void apply_flags(const UpdateArgs& args, runtime::Resources& res) {
  if (args.memory || args.memory_swap || args.memory_reservation) {
    if (!res.memory) res.memory = runtime::MemoryResources{};
    if (args.memory) res.memory->limit = args.memory;
    if (args.memory_swap) res.memory->swap = args.memory_swap;
    if (args.memory_reservation) res.memory->reservation = args.memory_reservation;
  }
  if (args.cpu_shares || args.cpu_quota || args.cpu_period || !args.cpuset_cpus.empty() ||
      !args.cpuset_mems.empty()) {
    if (!res.cpu) res.cpu = runtime::CpuResources{};
    if (args.cpu_shares) res.cpu->shares = args.cpu_shares;
    if (args.cpu_quota) res.cpu->quota = args.cpu_quota;
    if (args.cpu_period) res.cpu->period = args.cpu_period;
    if (!args.cpuset_cpus.empty()) res.cpu->cpus = args.cpuset_cpus;
    if (!args.cpuset_mems.empty()) res.cpu->mems = args.cpuset_mems;
  }
  if (args.pids_limit) res.pids_limit = args.pids_limit;
  if (args.blkio_weight) {
    if (!res.block_io) res.block_io = runtime::BlockIoResources{};
    res.block_io->weight = args.blkio_weight;
  }
}

Result<int> run_update(const Globals& globals, const UpdateArgs& args) {
  runtime::Resources resources;
  if (!args.resources_file.empty()) {
    std::string text = args.resources_file == "-" ? TRY(sys::read_all(STDIN_FILENO))
                                                  : TRY(sys::read_file(args.resources_file));
    resources = TRY(
        runtime::parse_resources(text, args.resources_file == "-" ? "stdin" : args.resources_file));
  }
  apply_flags(args, resources);
  TRY(runtime::update_container(globals.runtime, args.id, resources));
  return 0;
}

}  // namespace

void add_update_verb(CLI::App& app, Globals& globals, Action& action) {
  auto args = std::make_shared<UpdateArgs>();
  auto* sub = app.add_subcommand("update", "change the container's resource limits");
  sub->add_option("id", args->id, "container id")->required();
  sub->add_option("-r,--resources", args->resources_file,
                  "LinuxResources JSON file, or - for stdin");
  sub->add_option("--memory", args->memory, "memory limit in bytes");
  sub->add_option("--memory-swap", args->memory_swap, "memory+swap limit in bytes");
  sub->add_option("--memory-reservation", args->memory_reservation, "memory soft limit in bytes");
  sub->add_option("--cpu-shares", args->cpu_shares, "CPU shares");
  sub->add_option("--cpu-quota", args->cpu_quota, "CFS quota in microseconds");
  sub->add_option("--cpu-period", args->cpu_period, "CFS period in microseconds");
  sub->add_option("--cpuset-cpus", args->cpuset_cpus, "CPUs to run on");
  sub->add_option("--cpuset-mems", args->cpuset_mems, "memory nodes to use");
  sub->add_option("--pids-limit", args->pids_limit, "maximum number of processes");
  sub->add_option("--blkio-weight", args->blkio_weight, "block IO weight (10-1000)");
  sub->callback([&globals, &action, args] {
    action = [&globals, args] { return run_update(globals, *args); };
  });
}

}  // namespace quai::cli
