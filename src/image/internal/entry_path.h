#pragma once
// Tar entry paths as places inside the layer root.

#include <string>
#include <string_view>

#include "base/result.h"

namespace quai::image::internal {

/// A cleaned entry path: the parent directory relative to the layer root ("." for the root
/// itself) and one base name ("." when the entry is the root).
struct EntryPath {
  std::string parent;
  std::string name;

  bool is_root() const { return name == "."; }
  std::string full() const { return parent == "." ? name : parent + "/" + name; }
};

/// Cleans a tar path lexically. A leading "/" is dropped: absolute paths are relative to the
/// layer root, as Docker reads them. ".." that climbs above the root is Corrupt, naming the
/// path; "." and empty components are dropped.
Result<EntryPath> clean_entry_path(std::string_view path);

}  // namespace quai::image::internal
