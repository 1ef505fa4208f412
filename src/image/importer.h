#pragma once
// Images made here rather than pulled: `import` of a tarball or a directory as a
// one-layer image, and `image bootstrap` of base images from the host (busybox-static,
// debootstrap), so that nothing needs a registry.

#include <string>
#include <vector>

#include "base/result.h"
#include "image/image_store.h"

namespace quai::image {

struct ImportOptions {
  std::vector<std::string> changes;  // Dockerfile instructions: CMD, ENV, WORKDIR, …
  std::string message;               // the history comment
  std::vector<std::string> names;
  std::string created_by;  // the history line
};

/// Applies `-c/--change` instructions to a config; InvalidArgument names the instruction.
Result<ContainerConfig> apply_changes(ContainerConfig config,
                                      const std::vector<std::string>& changes);
/// A layer tarball (plain, gzip or zstd) read from fd → a one-layer image.
Result<ImageRecord> import_tarball(ImageStore& store, int fd, const ImportOptions& options);
/// A directory's content → a one-layer image.
Result<ImageRecord> import_directory(ImageStore& store, const std::string& dir,
                                     const ImportOptions& options);

/// busybox from the host's busybox-static: every applet linked, /etc/passwd and group.
Result<ImageRecord> bootstrap_busybox(ImageStore& store, const std::string& name);
/// Debian through debootstrap (minbase) with the host's own apt mirror.
Result<ImageRecord> bootstrap_debian(ImageStore& store, const std::string& name,
                                     const std::string& suite);

}  // namespace quai::image
