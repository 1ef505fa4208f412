#pragma once
// Control groups for one container across whatever layout the host has: v1 (one
// hierarchy per controller group), v2 (unified), or hybrid (v1 controllers plus a cgroup2
// mount such as /sys/fs/cgroup/unified that may hold controllers like hugetlb).

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace quai::runtime {

struct Hierarchy {
  std::string mount_point;               // /sys/fs/cgroup/memory
  std::vector<std::string> controllers;  // {"memory"}; v1 named hierarchies: {"name=systemd"}
  bool unified = false;                  // a cgroup2 mount
  bool has(std::string_view controller) const;
};

enum class CgroupMode { V1, Hybrid, V2 };

struct CgroupLayout {
  CgroupMode mode = CgroupMode::V1;
  std::vector<Hierarchy> hierarchies;

  /// Reads the cgroup mounts from /proc/self/mountinfo text.
  static CgroupLayout from_mountinfo(std::string_view mountinfo);
  /// The host's layout, read once per process.
  static Result<CgroupLayout> detect();
  const Hierarchy* v1(std::string_view controller) const;
  const Hierarchy* unified() const;
};

/// Where containers without a cgroupsPath go: /quai/<id>.
inline constexpr std::string_view kDefaultParent = "/quai";

/// Turns config's cgroupsPath into a path below each hierarchy's root: absolute paths are
/// used as they are, relative ones go below "/", empty means "/quai/<id>", and with
/// systemd_style a "slice:prefix:name" triple becomes "/slice/…/prefix-name.scope".
Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                         bool systemd_style);

/// One container's cgroup in every hierarchy. Not thread-safe.
class Cgroup {
 public:
  /// `owned_from`: the topmost directory of `path` that quai created (empty: none), so
  /// that destroy removes exactly what create made.
  Cgroup(CgroupLayout layout, std::string path, std::string owned_from = "")
      : layout_(std::move(layout)), path_(std::move(path)), owned_from_(std::move(owned_from)) {}

  const std::string& path() const { return path_; }
  const std::string& owned_from() const { return owned_from_; }
  const CgroupLayout& layout() const { return layout_; }
  std::string directory(const Hierarchy& hierarchy) const;

  /// Makes the directories (v1 cpuset gets its parent's cpus and mems; v2 enables the
  /// controllers the resources need) and records the first one that did not exist.
  Status create(const Resources* resources);
  Status apply(const Resources& resources);
  Status add_process(pid_t pid) const;
  /// Moves the calling single-threaded process in: "0" into each v1 hierarchy's `tasks`,
  /// which the kernel does without the global threadgroup lock that a pid written to
  /// cgroup.procs takes, and so without waiting for an RCU grace period (10-20 ms here).
  /// The unified hierarchy is skipped when the process was cloned into it already.
  Status join_as_current(bool skip_unified) const;
  Result<std::vector<pid_t>> processes() const;
  Status set_frozen(bool frozen);
  Result<bool> is_frozen() const;
  /// Sends a signal to every process, frozen first so none can fork in between.
  Status signal_all(int signal);
  /// Removes the directories create made, leaf first: parents that existed before, and a
  /// cgroup the container was put into but did not create, stay. A parent still in use
  /// by another container (not empty) stays too.
  Status destroy();

 private:
  Status make_directories(const Resources* resources);

  CgroupLayout layout_;
  std::string path_;
  std::string owned_from_;
};

// Per-version helpers, exposed for unit tests on a fake cgroupfs tree.
Status apply_v1(const Cgroup& cgroup, const Resources& resources);
/// Writes the v2 interface files of `dir` for the given resources.
Status apply_v2(const std::string& dir, const Resources& resources);
/// Enables, in every ancestor of `dir` below `mount_point`, the controllers `resources` use.
Status enable_v2_controllers(const std::string& mount_point, const std::string& dir,
                             const Resources* resources);
/// Writes linux.resources.unified entries; a key must be a plain file name.
Status apply_unified_keys(const std::string& dir, const std::map<std::string, std::string>& keys);
uint64_t cpu_shares_to_weight(uint64_t shares);
uint64_t blkio_weight_to_io_weight(uint64_t weight);
/// Writes value to dir/file; the error names both.
Status write_cgroup_file(const std::string& dir, const std::string& file, std::string_view value);

}  // namespace quai::runtime
