#pragma once
// The build context (a directory, a tar unpacked into the build's work dir, or nothing
// but the Dockerfile) and what COPY and ADD read from it or from another stage's root:
// sources found by path or wildcard, walked in name order, hashed for the cache and
// copied into a step's root.
//
// Reading the context never leaves it: paths are cleaned first ("../x" is refused) and
// opened with RESOLVE_BENEATH, so a symlink that leads out is an error, not a way out.
// Another stage's root is a root: its symlinks resolve inside it, as in the container.

#include <sys/stat.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "build/ignore.h"
#include "sys/fd.h"

namespace quai::build {

enum class SourceRoot { Context, Image };

/// Where COPY reads: a directory fd and its rules.
struct SourceTree {
  int fd = -1;  // -1: no context (`quai build -`)
  SourceRoot kind = SourceRoot::Context;
  const IgnoreMatcher* ignore = nullptr;   // .dockerignore (context only)
  const IgnoreMatcher* exclude = nullptr;  // COPY --exclude
};

/// A source that matched: its path in the tree ("" for the root) and an O_PATH fd, the
/// final symlink followed.
struct Source {
  std::string path;
  sys::UniqueFd fd;
  struct stat st {};
};

/// The sources `pattern` names (wildcards `*`, `?`, `[…]` per path component).
/// InvalidArgument "forbidden path outside the build context: ../x"; NotFound
/// "\"x\": not found" (an ignored file is not found either).
Result<std::vector<Source>> find_sources(const SourceTree& tree, const std::string& pattern);

/// One node met while walking a source, in name order, not following symlinks.
struct WalkEntry {
  std::string path;  // relative to the source: "" for the source itself, "a/b"
  int dir_fd;        // the directory that holds it (the source's own fd for "")
  std::string name;  // its name in dir_fd ("" for the source itself)
  struct stat st;
  std::string link_target;  // for symlinks
};

/// Walks `source` (a file, or a directory and everything below it), skipping what the
/// tree's ignore and exclude rules drop. Directories come before their content.
Status walk_source(const SourceTree& tree, const Source& source,
                   const std::function<Status(const WalkEntry&)>& visit);

/// A digest of what COPY would take from `source`: paths, types, modes, sizes, mtimes,
/// link targets and contents (not owners: COPY sets them).
Result<std::string> hash_source(const SourceTree& tree, const Source& source);

struct CopyRules {
  uid_t uid = 0;
  gid_t gid = 0;
  std::optional<mode_t> chmod;  // --chmod
};

/// Copies `source` to `dest` (absolute inside `root_fd`): a directory's content goes into
/// the directory `dest`, a file becomes `dest`. Missing parents are made (root, 0755).
Status copy_source(const SourceTree& tree, const Source& source, int root_fd,
                   const std::string& dest, const CopyRules& rules);

}  // namespace quai::build
