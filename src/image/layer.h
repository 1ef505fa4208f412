#pragma once
// Image layers: tar streams (plain, gzip or zstd) unpacked into a directory in overlayfs form,
// and directories packed back into tar. Layer content is hostile input: every path is resolved
// inside the layer directory, and nothing is ever created outside it.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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
  /// False for plain trees (`cp`, volume copy-up): `.wh.` names are ordinary files.
  bool whiteouts = true;
  /// Every node gets this owner instead of the one in the tar (`cp` without -a).
  std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt;
  /// An existing directory is never replaced by a non-directory or the other way round
  /// (InvalidArgument naming both), as `docker cp` refuses; a layer replaces either.
  bool keep_directory_kinds = false;
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

/// Writes an uncompressed tar of one node, `name` in `dir_fd` (never followed), and of
/// everything below it when it is a directory, to `out_fd`, calling it `tar_name` in the
/// tar ("." makes a directory's content the tar's top level). A plain tree, not a layer:
/// devices stay devices and overlay xattrs are left out.
Status pack_path(int dir_fd, const std::string& name, const std::string& tar_name, int out_fd,
                 std::string_view origin);

}  // namespace quai::image
