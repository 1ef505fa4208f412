#pragma once
// EINTR-safe whole reads and writes, and files written atomically (temp + fsync + rename).

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace quai::sys {

Result<std::string> read_all(int fd);
Status write_all(int fd, std::string_view data);

/// Reads a whole file; NotFound when it does not exist. Errors name the path.
Result<std::string> read_file(const std::string& path);
/// Creates or truncates path and writes data: for files that only their writer reads
/// (a reader could see a part; use write_file_atomic otherwise).
Status write_file(const std::string& path, std::string_view data, mode_t mode = 0644);
/// Writes to an existing file (cgroup, /proc knobs) without creating or truncating it.
Status write_existing(const std::string& path, std::string_view data);
/// Whether a replaced file must survive a crash of the machine (fsync), or only be seen
/// whole by readers (rename alone). Runtime state under /run dies with the machine anyway.
enum class Durability { Durable, Volatile };

/// Replaces path with data so that readers see the old or the new file, never a part.
Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0644,
                         Durability durability = Durability::Durable);

}  // namespace quai::sys
