#pragma once
// `cp`: files between a container (running or not) and the host, or a tar stream, with
// Docker's archive rules: a file onto a file or into a directory, a directory into a
// directory (or its content with "SRC/."), a missing destination created from the
// source's parent. Paths in the container are resolved inside its root, symlinks and
// ".." included, so a copy never reads or writes outside it.

#include <string>
#include <string_view>

#include "base/result.h"
#include "engine/engine.h"

namespace quai::engine {

struct CopyOptions {
  bool archive = false;      // -a: keep the source's uid/gid (else the receiving side's root
                             // in a container, the caller on the host)
  bool follow_link = false;  // -L: a symlink given as the source is followed
};

/// `cp CONTAINER:SRC DEST`; DEST "-" writes a tar of SRC to `out_fd`. NotFound "Could not
/// find the file SRC in container NAME"; InvalidArgument for a directory onto a file or a
/// missing destination directory.
Status copy_from_container(Engine& engine, std::string_view container, const std::string& src,
                           const std::string& dest, const CopyOptions& options, int out_fd);
/// `cp SRC CONTAINER:DEST`; SRC "-" reads a tar (plain, gzip or zstd) from `in_fd` and
/// extracts it into the directory DEST, refusing entries that climb out of it.
Status copy_to_container(Engine& engine, const std::string& src, std::string_view container,
                         const std::string& dest, const CopyOptions& options, int in_fd);

}  // namespace quai::engine
