#include "runtime/cgroup.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <thread>

#include "base/log.h"
#include "base/strings.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::runtime {
namespace {

const std::set<std::string, std::less<>> kGenericOptions = {
    "rw", "ro", "nosuid", "nodev", "noexec", "relatime", "noatime", "clone_children", "xattr"};

// mountinfo: "id parent maj:min root mountpoint opts [tags] - fstype source superopts".
std::optional<Hierarchy> parse_cgroup_line(std::string_view line) {
  auto fields = split(line, ' ');
  auto dash = std::find(fields.begin(), fields.end(), "-");
  size_t d = static_cast<size_t>(dash - fields.begin());
  if (fields.size() < 5 || d + 3 >= fields.size()) return std::nullopt;
  const std::string& fstype = fields[d + 1];
  if (fstype != "cgroup" && fstype != "cgroup2") return std::nullopt;
  if (fields[3] != "/") return std::nullopt;  // a bind of a sub-cgroup, not a hierarchy root
  Hierarchy hierarchy;
  hierarchy.mount_point = fields[4];
  hierarchy.unified = fstype == "cgroup2";
  if (!hierarchy.unified) {
    for (auto& option : split(fields[d + 3], ',')) {
      if (!kGenericOptions.contains(option) && !option.starts_with("release_agent=")) {
        hierarchy.controllers.push_back(std::move(option));
      }
    }
  }
  return hierarchy;
}

std::vector<std::string> read_v2_controllers(const std::string& mount_point) {
  auto text = sys::read_file(mount_point + "/cgroup.controllers");
  std::vector<std::string> out;
  if (!text) return out;
  for (auto& name : split(trim(*text), ' ')) {
    if (!name.empty()) out.push_back(std::move(name));
  }
  return out;
}

std::string systemd_slice_path(const std::string& slice) {
  // "a-b-c.slice" nests as /a.slice/a-b.slice/a-b-c.slice.
  if (slice.empty() || slice == "-.slice") return "";
  std::string name = slice.ends_with(".slice") ? slice.substr(0, slice.size() - 6) : slice;
  std::string path, prefix;
  for (const auto& part : split(name, '-')) {
    prefix = prefix.empty() ? part : prefix + "-" + part;
    path += "/" + prefix + ".slice";
  }
  return path;
}

Result<std::vector<pid_t>> read_pids(const std::string& file) {
  auto text = TRY(sys::read_file(file));
  std::vector<pid_t> pids;
  for (const auto& line : split(text, '\n')) {
    if (line.empty()) continue;
    pids.push_back(static_cast<pid_t>(TRY(parse_int64(line))));
  }
  return pids;
}

}  // namespace

bool Hierarchy::has(std::string_view controller) const {
  return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

CgroupLayout CgroupLayout::from_mountinfo(std::string_view mountinfo) {
  CgroupLayout layout;
  std::set<std::string> seen;
  bool has_v1 = false;
  for (const auto& line : split(mountinfo, '\n')) {
    auto hierarchy = parse_cgroup_line(line);
    if (!hierarchy) continue;
    std::string key = hierarchy->unified ? "cgroup2" : join(hierarchy->controllers, ",");
    if (!seen.insert(key).second) continue;
    if (hierarchy->unified) {
      hierarchy->controllers = read_v2_controllers(hierarchy->mount_point);
    } else {
      has_v1 = true;
    }
    layout.hierarchies.push_back(std::move(*hierarchy));
  }
  bool has_v2 = layout.unified() != nullptr;
  layout.mode = has_v2 ? (has_v1 ? CgroupMode::Hybrid : CgroupMode::V2) : CgroupMode::V1;
  return layout;
}

Result<CgroupLayout> CgroupLayout::detect() {
  // A command asks several times (create, status, delete); the cgroup mounts do not
  // change under a short-lived process, so /proc/self/mountinfo is read once.
  static const Result<CgroupLayout> layout = []() -> Result<CgroupLayout> {
    auto text = TRY(sys::read_file("/proc/self/mountinfo"));
    return from_mountinfo(text);
  }();
  return layout;
}

const Hierarchy* CgroupLayout::v1(std::string_view controller) const {
  for (const auto& h : hierarchies) {
    if (!h.unified && h.has(controller)) return &h;
  }
  return nullptr;
}

const Hierarchy* CgroupLayout::unified() const {
  for (const auto& h : hierarchies) {
    if (h.unified) return &h;
  }
  return nullptr;
}

Result<std::string> resolve_cgroups_path(const std::string& cgroups_path, const std::string& id,
                                         bool systemd_style) {
  if (cgroups_path.empty()) return std::string(kDefaultParent) + "/" + id;
  if (systemd_style && cgroups_path.find(':') != std::string::npos) {
    auto parts = split(cgroups_path, ':');
    if (parts.size() != 3) {
      return fail(Errc::InvalidArgument, "linux.cgroupsPath: \"{}\" is not \"slice:prefix:name\"",
                  cgroups_path);
    }
    std::string slice = parts[0].empty() ? "system.slice" : parts[0];
    std::string unit = parts[1].empty() ? parts[2] : parts[1] + "-" + parts[2];
    if (!unit.ends_with(".slice") && !unit.ends_with(".scope")) unit += ".scope";
    return systemd_slice_path(slice) + "/" + unit;
  }
  return sys::clean_path(cgroups_path);
}

std::string Cgroup::directory(const Hierarchy& hierarchy) const {
  return hierarchy.mount_point + path_;
}

Status Cgroup::create(const Resources* resources) {
  if (!layout_.hierarchies.empty()) {
    // The first level that does not exist yet in one hierarchy stands for all of them.
    owned_from_.clear();
    std::string prefix;
    for (const auto& part : split(path_, '/')) {
      if (part.empty()) continue;
      prefix += "/" + part;
      if (!sys::is_directory(layout_.hierarchies.front().mount_point + prefix)) {
        owned_from_ = prefix;
        break;
      }
    }
    // quai's default parent is shared by all its containers: whichever ends last removes
    // it, not only the one that happened to make it (destroy leaves it while not empty).
    if (!owned_from_.empty() && path_.starts_with(std::string(kDefaultParent) + "/"))
      owned_from_ = kDefaultParent;
  }
  // A container ending at this moment may remove a shared parent between our mkdirs.
  Status made;
  for (int attempt = 0; attempt < 5; ++attempt) {
    made = make_directories(resources);
    if (made || made.error().sys_errno() != ENOENT) break;
  }
  return made;
}

Status Cgroup::make_directories(const Resources* resources) {
  for (const auto& hierarchy : layout_.hierarchies) {
    std::string dir = directory(hierarchy);
    if (hierarchy.unified) {
      TRY(sys::mkdir_p(dir));
      TRY(enable_v2_controllers(hierarchy.mount_point, dir, resources));
      continue;
    }
    if (hierarchy.has("cpuset")) {
      // A new v1 cpuset starts with no cpus or mems and refuses tasks: copy the parent's
      // down every level we create.
      std::string current = hierarchy.mount_point;
      for (const auto& part : split(path_, '/')) {
        if (part.empty()) continue;
        std::string parent = current;
        current += "/" + part;
        if (::mkdir(current.c_str(), 0755) != 0 && errno != EEXIST) {
          return fail_errno(errno, "mkdir \"{}\"", current);
        }
        for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
          auto mine = sys::read_file(current + "/" + file);
          if (mine && trim(*mine).empty()) {
            auto inherited = TRY(sys::read_file(parent + "/" + file));
            TRY(write_cgroup_file(current, file, trim(inherited)));
          }
        }
      }
      continue;
    }
    TRY(sys::mkdir_p(dir));
  }
  return ok();
}

Status Cgroup::apply(const Resources& resources) {
  if (layout_.mode == CgroupMode::V2) return apply_v2(directory(*layout_.unified()), resources);
  return apply_v1(*this, resources);
}

Status Cgroup::add_process(pid_t pid) const {
  std::string text = std::to_string(pid);
  for (const auto& hierarchy : layout_.hierarchies) {
    TRY(write_cgroup_file(directory(hierarchy), "cgroup.procs", text));
  }
  return ok();
}

Status Cgroup::join_as_current(bool skip_unified) const {
  for (const auto& hierarchy : layout_.hierarchies) {
    if (hierarchy.unified && skip_unified) continue;
    TRY(write_cgroup_file(directory(hierarchy), hierarchy.unified ? "cgroup.procs" : "tasks", "0"));
  }
  return ok();
}

Result<std::vector<pid_t>> Cgroup::processes() const {
  // Every hierarchy holds every process of the container; the unified one is the cheapest.
  const Hierarchy* source = layout_.unified();
  if (source == nullptr && !layout_.hierarchies.empty()) source = &layout_.hierarchies.front();
  if (source == nullptr) return std::vector<pid_t>();
  return read_pids(directory(*source) + "/cgroup.procs");
}

Status Cgroup::set_frozen(bool frozen) {
  if (const Hierarchy* freezer = layout_.v1("freezer")) {
    std::string dir = directory(*freezer);
    TRY(write_cgroup_file(dir, "freezer.state", frozen ? "FROZEN" : "THAWED"));
    for (int i = 0; i < 1000; ++i) {
      auto state = TRY(sys::read_file(dir + "/freezer.state"));
      if (trim(state) == (frozen ? "FROZEN" : "THAWED")) return ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return fail(Errc::Timeout, "cgroup \"{}\": freezer did not reach {}", dir,
                frozen ? "FROZEN" : "THAWED");
  }
  if (const Hierarchy* unified = layout_.unified()) {
    std::string dir = directory(*unified);
    TRY(write_cgroup_file(dir, "cgroup.freeze", frozen ? "1" : "0"));
    for (int i = 0; i < 1000; ++i) {
      auto events = TRY(sys::read_file(dir + "/cgroup.events"));
      if (events.find(frozen ? "frozen 1" : "frozen 0") != std::string::npos) return ok();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return fail(Errc::Timeout, "cgroup \"{}\": did not {}", dir, frozen ? "freeze" : "thaw");
  }
  return fail(Errc::Unsupported,
              "no freezer: neither a v1 freezer hierarchy nor cgroup2 is mounted");
}

Result<bool> Cgroup::is_frozen() const {
  if (const Hierarchy* freezer = layout_.v1("freezer")) {
    auto state = TRY(sys::read_file(directory(*freezer) + "/freezer.state"));
    return trim(state) != "THAWED";
  }
  if (const Hierarchy* unified = layout_.unified()) {
    auto value = sys::read_file(directory(*unified) + "/cgroup.freeze");
    return value && trim(*value) == "1";
  }
  return false;
}

Status Cgroup::signal_all(int signal) {
  bool frozen = static_cast<bool>(set_frozen(true));
  auto pids = processes();
  for (pid_t pid : pids.value_or(std::vector<pid_t>())) ::kill(pid, signal);
  if (frozen) TRY(set_frozen(false));
  if (!pids) return std::unexpected(pids.error());
  return ok();
}

Status Cgroup::destroy() {
  if (owned_from_.empty()) return ok();
  for (const auto& hierarchy : layout_.hierarchies) {
    std::string dir = directory(hierarchy);
    // Processes that were just killed leave the cgroup a moment later.
    int rc = -1;
    for (int attempt = 0; attempt < 200; ++attempt) {
      rc = ::rmdir(dir.c_str());
      if (rc == 0 || errno == ENOENT || errno != EBUSY) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (rc != 0 && errno != ENOENT) return fail_errno(errno, "remove cgroup \"{}\"", dir);
    // Parents we made go too, unless another container still uses them (not empty).
    std::string top = hierarchy.mount_point + owned_from_;
    for (std::string parent = dir.substr(0, dir.rfind('/')); parent.size() >= top.size();
         parent = parent.substr(0, parent.rfind('/'))) {
      if (::rmdir(parent.c_str()) != 0) break;
    }
  }
  return ok();
}

Status write_cgroup_file(const std::string& dir, const std::string& file, std::string_view value) {
  return with_context(sys::write_existing(dir + "/" + file, value), "cgroup \"{}\"", dir);
}

}  // namespace quai::runtime
