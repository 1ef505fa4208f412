#include "image/internal/entry_path.h"

#include <vector>

namespace quai::image::internal {

Result<EntryPath> clean_entry_path(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = std::min(path.find('/', start), path.size());
    std::string_view part = path.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      // Refused rather than clamped: a layer that names such paths was made to attack.
      if (parts.empty()) return fail(Errc::Corrupt, "path \"{}\" leads outside the layer", path);
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  if (parts.empty()) return EntryPath{".", "."};
  EntryPath out{"", std::string(parts.back())};
  parts.pop_back();
  for (std::string_view part : parts) {
    if (!out.parent.empty()) out.parent += '/';
    out.parent += part;
  }
  if (out.parent.empty()) out.parent = ".";
  return out;
}

}  // namespace quai::image::internal
