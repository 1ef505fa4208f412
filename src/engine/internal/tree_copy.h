#pragma once
// Copying a tree of files between two directory fds (container roots, the host, volumes)
// as a tar stream: packed on one side and unpacked on the other by the image area's layer
// code, so every write is resolved inside the destination and nothing new parses tar.

#include <string>

#include "base/result.h"
#include "image/layer.h"
#include "sys/fd.h"

namespace quai::engine::internal {

/// A node found inside a root: `name` in the directory `parent` (O_PATH), not followed.
struct Located {
  sys::UniqueFd parent;
  std::string name;  // "." for the root itself
  std::string path;  // cleaned, absolute inside the root, after final symlinks
  bool exists = false;
  bool is_directory = false;
};

/// Finds `path` inside `root_fd`: every component is resolved inside the root
/// (RESOLVE_IN_ROOT), and a final symlink is followed, inside the root too, when
/// `follow_final`. NotFound when the parent directory is missing; a missing last
/// component is `exists == false`.
Result<Located> locate_in_root(int root_fd, const std::string& path, bool follow_final);

/// Streams `source` through a pipe into `dest_dir_fd`, named `tar_name` there ("." puts
/// a directory's content into `dest_dir_fd` itself). Errors of the reading side come first:
/// they explain a truncated stream on the writing side.
Status copy_tree(const Located& source, const std::string& tar_name, int dest_dir_fd,
                 const image::UnpackOptions& options);

/// Options for trees that are not layers: `.wh.` names are files, a directory is never
/// replaced by a file nor a file by a directory.
image::UnpackOptions plain_tree_options();

}  // namespace quai::engine::internal
