#pragma once
// Writes tar entries into a layer directory. Every node is created through a parent
// directory fd opened with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so neither ".."
// nor a symlink made by an earlier entry can lead a later one outside the layer.

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "image/internal/entry_path.h"
#include "image/internal/metadata.h"
#include "image/internal/tar_reader.h"
#include "image/layer.h"
#include "sys/fd.h"

namespace quai::image::internal {

/// Single-threaded; `root_fd` must outlive the writer. Nothing is synced.
class LayerWriter {
 public:
  LayerWriter(int root_fd, const UnpackOptions& options);

  /// Creates one entry, replacing what an earlier entry put at its path, as tar does.
  /// Regular file data is read from `data`. Errors name the entry.
  Status write(const TarEntry& entry, TarReader& data);
  /// Applies directory modes and times, deferred so that filling a directory (or a
  /// read-only mode) does not undo or block them.
  Status finish();
  uint64_t disk_size() const { return disk_size_; }

 private:
  struct DeferredDir {
    std::string path;
    mode_t mode;
    struct timespec atime;
    struct timespec mtime;
  };

  Status write_entry(const TarEntry& entry, const EntryPath& where, TarReader& data);
  Result<int> parent_fd(const std::string& parent);
  Status make_room(int parent, const std::string& name);
  void forget_parents();
  Status write_file(int parent, const EntryPath& where, const TarEntry& entry, TarReader& data);
  Status write_directory(int parent, const EntryPath& where, const TarEntry& entry);
  Status write_symlink(int parent, const EntryPath& where, const TarEntry& entry);
  Status write_hard_link(int parent, const EntryPath& where, const TarEntry& entry);
  Status write_special(int parent, const EntryPath& where, const TarEntry& entry);
  Status write_whiteout(int parent, const std::string& name, const TarEntry& entry);
  Status mark_opaque(int parent);

  int root_fd_;
  UnpackOptions options_;
  MetadataPolicy policy_;
  // Parent directories by cleaned path. Forgotten whenever an existing node is replaced,
  // since a cached fd could then name a directory that is no longer at that path; the fds
  // stay open in `retired_` until the entry at hand is done with them.
  std::unordered_map<std::string, sys::UniqueFd> parents_;
  std::vector<sys::UniqueFd> retired_;
  std::vector<DeferredDir> deferred_dirs_;
  uint64_t disk_size_ = 0;
};

}  // namespace quai::image::internal
