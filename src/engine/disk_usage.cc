#include "engine/disk_usage.h"

#include <map>

#include "engine/lifecycle.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

bool is_stopped(const ContainerRunState& state) {
  return state.status == RunStatus::Exited || state.status == RunStatus::Created ||
         state.status == RunStatus::Dead;
}

uint64_t upper_size(Engine& engine, const ContainerRecord& record) {
  return sys::tree_size(engine.container_dir(record.id) + "/upper").value_or(0);
}

struct ImageLayers {
  std::vector<image::LayerInfo> layers;
  std::string created;
};

Status add_images(Engine& engine, const std::vector<ContainerView>& views, DiskUsage& usage) {
  std::map<image::Digest, int> containers_of;
  for (const auto& view : views) ++containers_of[view.record.image_id];
  std::vector<ImageLayers> found;
  std::map<image::Digest, std::pair<uint64_t, int>> layers;  // size, images that have it
  std::set<image::Digest> in_use;                            // layers of active images
  for (const auto& record : TRY(engine.images().list())) {
    auto config = engine.images().config(record);
    ImageLayers image{TRY(engine.images().layers(record)), config ? config->created : ""};
    for (const auto& layer : image.layers) {
      auto& [size, images] = layers[layer.diff_id];
      size = layer.size;
      ++images;
      if (containers_of.contains(record.id)) in_use.insert(layer.diff_id);
    }
    usage.image_rows.push_back({record, image.created, 0, 0, containers_of[record.id]});
    found.push_back(std::move(image));
  }
  for (size_t i = 0; i < found.size(); ++i) {
    auto& row = usage.image_rows[i];
    for (const auto& layer : found[i].layers) {
      row.size += layer.size;
      if (layers[layer.diff_id].second > 1) row.shared_size += layer.size;
    }
    usage.images.active += row.containers > 0 ? 1 : 0;
  }
  usage.images.total = static_cast<int>(found.size());
  for (const auto& [diff_id, entry] : layers) {
    usage.images.size += entry.first;
    if (!in_use.contains(diff_id)) usage.images.reclaimable += entry.first;
  }
  return ok();
}

void add_containers(Engine& engine, const std::vector<ContainerView>& views, DiskUsage& usage) {
  for (const auto& view : views) {
    uint64_t size = upper_size(engine, view.record);
    usage.container_rows.push_back({view, size});
    usage.containers.size += size;
    if (is_stopped(view.state)) {
      usage.containers.reclaimable += size;
    } else {
      ++usage.containers.active;
    }
  }
  usage.containers.total = static_cast<int>(views.size());
}

Status add_volumes(Engine& engine, const std::vector<ContainerView>& views, DiskUsage& usage) {
  std::map<std::string, int> links;
  for (const auto& view : views) {
    for (const auto& m : view.record.mounts) {
      if (m.type == "volume") ++links[m.source];
    }
  }
  for (auto& volume : TRY(list_volumes(engine))) {
    uint64_t size = sys::tree_size(volume.data_path).value_or(0);
    int used = links[volume.name];
    usage.volumes.size += size;
    if (used > 0) {
      ++usage.volumes.active;
    } else {
      usage.volumes.reclaimable += size;
    }
    usage.volume_rows.push_back({std::move(volume), used, size});
  }
  usage.volumes.total = static_cast<int>(usage.volume_rows.size());
  return ok();
}

}  // namespace

Result<DiskUsage> disk_usage(Engine& engine) {
  auto views = TRY(engine.list_containers());
  DiskUsage usage;
  TRY(add_images(engine, views, usage));
  add_containers(engine, views, usage);
  TRY(add_volumes(engine, views, usage));
  return usage;
}

Result<PruneReport> prune_system(Engine& engine, const PruneOptions& options) {
  PruneReport report;
  for (const auto& view : TRY(engine.list_containers())) {
    if (!is_stopped(view.state)) continue;
    uint64_t size = upper_size(engine, view.record);
    if (!remove_container(engine, view, false, false)) continue;
    report.containers.push_back(view.record.id);
    report.reclaimed += size;
  }
  if (options.volumes) {
    std::map<std::string, uint64_t> sizes;
    for (const auto& volume : TRY(list_volumes(engine)))
      sizes[volume.name] = sys::tree_size(volume.data_path).value_or(0);
    report.volumes = TRY(prune_volumes(engine, false));
    for (const auto& name : report.volumes) report.reclaimed += sizes[name];
  }
  report.images = TRY(engine.images().prune(options.all_images, engine.images_in_use()));
  report.reclaimed += TRY(engine.images().collect_garbage(engine.pinned_layers())).bytes_freed;
  return report;
}

}  // namespace quai::engine
