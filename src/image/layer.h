#pragma once
// Image layers: tar streams (plain, gzip or zstd) unpacked into a directory in overlayfs form,
// and directories packed back into tar. Layer content is hostile input: every path is resolved
// inside the layer directory, and nothing is ever created outside it.

#include <cstdint>
#include <string_view>

#include "base/result.h"
#include "image/digest.h"

namespace quai::image {

enum class Compression { None, Gzip, Zstd };

/// The compression of a stream, from its first bytes (magic numbers); None for anything else.
Compression detect_compression(std::string_view head);

struct UnpackOptions {
  /// Running without real root: device nodes are skipped with a warning, and ownership and
  /// trusted.* xattrs are not applied where the kernel refuses them.
  bool rootless = false;
};

struct UnpackedLayer {
  Digest diff_id;          // sha256 of the uncompressed tar stream
  uint64_t tar_size = 0;   // bytes of the uncompressed tar stream
  uint64_t disk_size = 0;  // bytes of regular file content written
};

/// Unpacks the layer read from `fd` (compression detected from its first bytes) into the empty
/// directory `dir_fd`. `.wh.NAME` entries become 0/0 character devices, `.wh..wh..opq` sets
/// trusted.overlay.opaque=y on its directory. Absolute entry paths are taken as relative to the
/// layer root; a path or hard link target that climbs above the root with ".." is refused.
/// Nothing is synced: the caller syncfs()es once and renames the directory into place, and on
/// an error removes the partly written directory. `origin` ("layer sha256:ab12…") names the
/// layer in errors. Errors: Corrupt (bad compression, not a tar, truncated, oversized headers,
/// trailing garbage, unsafe paths), Io and others from the file system.
Result<UnpackedLayer> unpack_layer(int fd, int dir_fd, const UnpackOptions& options,
                                   std::string_view origin);

/// Writes an uncompressed tar of the directory `dir_fd` to `out_fd` (names sorted, times in
/// whole seconds, no user or group names), turning overlayfs whiteouts (0/0 character devices,
/// trusted.overlay.opaque=y) back into `.wh.` entries. Returns the sha256 of what was written.
Result<Digest> pack_layer(int dir_fd, int out_fd, std::string_view origin);

}  // namespace quai::image
