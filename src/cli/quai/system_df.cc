// system df and system prune.

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "cli/quai/format.h"
#include "cli/quai/verbs.h"
#include "engine/disk_usage.h"
#include "image/reference.h"

namespace quai::cli {
namespace {

// "11.6MB (70%)", as Docker shows what could go.
std::string reclaimable_text(const engine::UsageSummary& usage) {
  if (usage.size == 0) return human_size(usage.reclaimable);
  return fmt::format("{} ({}%)", human_size(usage.reclaimable),
                     usage.reclaimable * 100 / usage.size);
}

std::vector<std::string> summary_row(const char* type, const engine::UsageSummary& usage) {
  return {type, std::to_string(usage.total), std::to_string(usage.active), human_size(usage.size),
          reclaimable_text(usage)};
}

std::string image_name(const image::ImageRecord& image, bool tag) {
  if (image.names.empty()) return "<none>";
  auto reference = image::parse_reference(image.names.front());
  if (!reference) return image.names.front();
  return tag ? reference->tag : reference->familiar_name();
}

void print_verbose(const engine::DiskUsage& usage) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& row : usage.image_rows) {
    rows.push_back({image_name(row.image, false), image_name(row.image, true),
                    row.image.id.short_id(), human_duration_since(row.created) + " ago",
                    human_size(row.size), human_size(row.shared_size),
                    human_size(row.size - row.shared_size), std::to_string(row.containers)});
  }
  std::printf("Images space usage:\n\n%s\n",
              render_table({"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE",
                            "UNIQUE SIZE", "CONTAINERS"},
                           rows)
                  .c_str());
  rows.clear();
  for (const auto& row : usage.container_rows) {
    const auto& record = row.view.record;
    int volumes = static_cast<int>(
        std::ranges::count(record.mounts, std::string("volume"), &engine::MountRequest::type));
    rows.push_back({record.id.substr(0, 12), record.image, std::to_string(volumes),
                    human_size(row.size), human_duration_since(record.created) + " ago",
                    std::string(engine::run_status_name(row.view.state.status)), record.name});
  }
  std::printf(
      "Containers space usage:\n\n%s\n",
      render_table({"CONTAINER ID", "IMAGE", "LOCAL VOLUMES", "SIZE", "CREATED", "STATUS", "NAMES"},
                   rows)
          .c_str());
  rows.clear();
  for (const auto& row : usage.volume_rows)
    rows.push_back({row.volume.name, std::to_string(row.links), human_size(row.size)});
  std::printf("Local Volumes space usage:\n\n%s\n",
              render_table({"VOLUME NAME", "LINKS", "SIZE"}, rows).c_str());
  std::printf("Build cache usage: 0B\n");
}

Result<int> df(Globals& globals, bool verbose) {
  auto engine = TRY(open_engine(globals));
  auto usage = TRY(engine::disk_usage(engine));
  if (verbose) {
    print_verbose(usage);
    return 0;
  }
  std::fputs(render_table({"TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"},
                          {summary_row("Images", usage.images),
                           summary_row("Containers", usage.containers),
                           summary_row("Local Volumes", usage.volumes),
                           {"Build Cache", "0", "0", "0B", "0B"}})
                 .c_str(),
             stdout);
  return 0;
}

bool confirmed(const engine::PruneOptions& options) {
  std::printf("WARNING! This will remove:\n  - all stopped containers\n");
  if (options.volumes)
    std::printf("  - all anonymous volumes not used by at least one container\n");
  std::printf(options.all_images ? "  - all images without at least one container associated "
                                   "to them\n"
                                 : "  - all dangling images\n");
  std::printf("\nAre you sure you want to continue? [y/N] ");
  std::fflush(stdout);
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y" || answer == "yes" || answer == "YES";
}

Result<int> prune(Globals& globals, const engine::PruneOptions& options, bool force) {
  auto engine = TRY(open_engine(globals));
  if (!force && !confirmed(options)) return 0;
  auto report = TRY(engine::prune_system(engine, options));
  if (!report.containers.empty()) {
    std::printf("Deleted Containers:\n");
    for (const auto& id : report.containers) std::printf("%s\n", id.c_str());
    std::printf("\n");
  }
  if (!report.volumes.empty()) {
    std::printf("Deleted Volumes:\n");
    for (const auto& name : report.volumes) std::printf("%s\n", name.c_str());
    std::printf("\n");
  }
  if (!report.images.deleted.empty()) {
    std::printf("Deleted Images:\n");
    print_remove_report(report.images, true);
    std::printf("\n");
  }
  std::printf("Total reclaimed space: %s\n", human_size(report.reclaimed).c_str());
  return 0;
}

}  // namespace

void add_system_usage_verbs(CLI::App& system, Globals& globals, Action& action) {
  static bool verbose = false, force = false;
  static engine::PruneOptions options;
  auto* df_verb = system.add_subcommand("df", "Show quai disk usage");
  df_verb->add_flag("-v,--verbose", verbose, "Show detailed information on space usage");
  df_verb->callback([&] { action = [&] { return df(globals, verbose); }; });

  auto* prune_verb = system.add_subcommand("prune", "Remove unused data");
  prune_verb->add_flag("-a,--all", options.all_images,
                       "Remove all unused images not just dangling ones");
  prune_verb->add_flag("-f,--force", force, "Do not prompt for confirmation");
  prune_verb->add_flag("--volumes", options.volumes, "Prune anonymous volumes");
  prune_verb->callback([&] { action = [&] { return prune(globals, options, force); }; });
}

}  // namespace quai::cli
