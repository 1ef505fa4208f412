#pragma once
// `quai pull`: a manifest (an index resolved to one platform), its config and its layers,
// downloaded in parallel, each streamed to the blob store and unpacked as it arrives;
// nothing is committed before its digest and size are verified.

#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "image/image_store.h"
#include "registry/client/settings.h"

namespace quai::registry::client {

/// Bytes of one layer (by its short id) received so far, of `total`; called from the
/// download threads, often.
using ByteProgress = std::function<void(const std::string& id, uint64_t done, uint64_t total)>;

struct PullOptions {
  std::string platform = "linux/amd64";  // os/arch[/variant]
  bool all_tags = false;
  ByteProgress progress;  // for a progress display; may be empty
};

/// Progress as Docker prints it, one line at a time ("a3ed95caeb02: Pull complete").
using Reporter = std::function<void(const std::string& line)>;

struct PullResult {
  image::ImageRecord image;
  std::string name;    // "docker.io/library/busybox:latest"
  std::string digest;  // of what the reference names (an index, for a multi-platform image)
  bool downloaded = false;
};

/// Pulls `reference` into `store`. With all_tags, every tag of the repository.
/// Errors name the reference and what failed ("pull debian: layer sha256:ab12…: digest
/// mismatch").
Result<std::vector<PullResult>> pull(image::ImageStore& store, const std::string& reference,
                                     const PullOptions& options, const ClientSettings& settings,
                                     const Reporter& report);

}  // namespace quai::registry::client
