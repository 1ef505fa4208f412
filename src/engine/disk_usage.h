#pragma once
// `system df` and `system prune`: what images, containers and volumes take on disk, and
// removing what nothing uses.

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"
#include "engine/volumes.h"

namespace quai::engine {

/// One line of `system df`: Docker's TOTAL, ACTIVE, SIZE and RECLAIMABLE.
struct UsageSummary {
  int total = 0;
  int active = 0;
  uint64_t size = 0;
  uint64_t reclaimable = 0;
};

struct ImageUsage {
  image::ImageRecord image;
  std::string created;       // the config's creation time
  uint64_t size = 0;         // all its layers
  uint64_t shared_size = 0;  // its layers that other images have too
  int containers = 0;
};

struct ContainerUsage {
  ContainerView view;
  uint64_t size = 0;  // the writable layer (upper dir)
};

struct VolumeUsage {
  Volume volume;
  int links = 0;  // containers that mount it
  uint64_t size = 0;
};

struct DiskUsage {
  UsageSummary images, containers, volumes;
  std::vector<ImageUsage> image_rows;
  std::vector<ContainerUsage> container_rows;
  std::vector<VolumeUsage> volume_rows;
};

/// Sizes as Docker counts them: a layer once however many images share it; reclaimable
/// images are the layers no image of an existing container uses, reclaimable containers
/// the writable layers of those not running, reclaimable volumes the unused ones.
Result<DiskUsage> disk_usage(Engine& engine);

struct PruneOptions {
  bool all_images = false;  // -a: every image without a container, not only dangling ones
  bool volumes = false;     // --volumes: anonymous volumes that no container uses
};

struct PruneReport {
  std::vector<std::string> containers;  // ids
  std::vector<std::string> volumes;     // names
  image::RemoveReport images;
  uint64_t reclaimed = 0;  // bytes
};

/// Removes stopped containers, then (with `volumes`) unused anonymous volumes, then
/// dangling (or all unused) images and the layers and blobs they leave unreferenced.
Result<PruneReport> prune_system(Engine& engine, const PruneOptions& options);

}  // namespace quai::engine
