#include "image/internal/entry_path.h"

#include <vector>

#include "base/strings.h"

namespace quai::image::internal {

Result<EntryPath> clean_entry_path(std::string_view path) {
  std::vector<std::string> parts;
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
    parts.emplace_back(part);
  }
  if (parts.empty()) return EntryPath{".", "."};
  EntryPath out{".", std::move(parts.back())};
  parts.pop_back();
  if (!parts.empty()) out.parent = join(parts, "/");
  return out;
}

}  // namespace quai::image::internal
