#pragma once
// Filesystem helpers on the host, and path resolution confined to a root directory.

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::sys {

bool path_exists(const std::string& path);

/// The names in a directory, without "." and ".."; empty when it does not exist.
Result<std::vector<std::string>> list_directory(const std::string& path);
/// A symlink's target; empty when path is not a symlink or cannot be read.
std::string read_link(const std::string& path);
/// An absolute path for a possibly relative one (the current directory for empty or ".").
std::string absolute_path(const std::string& path);
bool is_directory(const std::string& path);

/// mkdir -p; existing directories are fine.
Status mkdir_p(const std::string& path, mode_t mode = 0755);
/// Bytes in the files below `path` (st_size; hard links once; not below other mounts),
/// as Docker counts a container's or a volume's size. 0 when `path` does not exist.
Result<uint64_t> tree_size(const std::string& path);
/// rm -rf that never crosses into another filesystem (a leftover mount stays untouched).
Status remove_tree(const std::string& path);

/// Opens `path` as seen from inside the directory `root_fd` (symlinks and ".." cannot
/// leave it). O_PATH unless flags say otherwise.
Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags = 0);

enum class NodeKind { Directory, File };
/// Creates every missing component of `path` inside `root_fd` and returns an O_PATH fd of
/// the last one, made as a directory or an empty file. Never leaves the root.
Result<UniqueFd> make_path_in_root(int root_fd, const std::string& path, NodeKind kind,
                                   mode_t mode = 0755);

/// "/proc/self/fd/N": lets path-based system calls act on an fd resolved safely.
std::string fd_path(int fd);

/// Lexically cleaned absolute path ("a/../b//c" → "/b/c"), never above "/".
std::string clean_path(const std::string& path);

}  // namespace quai::sys
