#include "build/internal/run_mounts.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/sha256.h"
#include "base/strings.h"
#include "build/internal/session.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/syscalls.h"

namespace quai::build::internal {
namespace {

using Setter = void (*)(RunMount&, const std::string&);

const std::map<std::string, Setter, std::less<>>& fields() {
  static const std::map<std::string, Setter, std::less<>> table = {
      {"type", [](RunMount& m, const std::string& v) { m.type = v; }},
      {"target", [](RunMount& m, const std::string& v) { m.target = v; }},
      {"dst", [](RunMount& m, const std::string& v) { m.target = v; }},
      {"destination", [](RunMount& m, const std::string& v) { m.target = v; }},
      {"source", [](RunMount& m, const std::string& v) { m.source = v; }},
      {"src", [](RunMount& m, const std::string& v) { m.source = v; }},
      {"from", [](RunMount& m, const std::string& v) { m.from = v; }},
      {"id", [](RunMount& m, const std::string& v) { m.id = v; }},
      {"ro", [](RunMount& m, const std::string& v) { m.read_only = v != "false"; }},
      {"readonly", [](RunMount& m, const std::string& v) { m.read_only = v != "false"; }},
      {"rw", [](RunMount& m, const std::string& v) { m.read_only = v == "false"; }},
      {"readwrite", [](RunMount& m, const std::string& v) { m.read_only = v == "false"; }},
      {"required", [](RunMount& m, const std::string& v) { m.required = v != "false"; }},
      {"size", [](RunMount& m, const std::string& v) { m.size = v; }},
      {"mode", [](RunMount& m, const std::string& v) { m.mode = v; }},
      {"uid", [](RunMount& m, const std::string& v) { m.uid = v; }},
      {"gid", [](RunMount& m, const std::string& v) { m.gid = v; }},
      {"sharing", [](RunMount&, const std::string&) {}},  // one build at a time uses a cache dir
  };
  return table;
}

Result<RunMount> parse_one(const std::string& text,
                           const std::function<Result<std::string>(const std::string&)>& expand) {
  RunMount mount;
  mount.type = "bind";
  for (const auto& field : split(text, ',')) {
    size_t equals = field.find('=');
    std::string name = to_lower(field.substr(0, equals));
    std::string value =
        equals == std::string::npos ? "true" : TRY(expand(field.substr(equals + 1)));
    auto setter = fields().find(name);
    if (setter == fields().end())
      return fail(Errc::InvalidArgument, "--mount: unknown field \"{}\"", name);
    setter->second(mount, value);
  }
  if (mount.type != "bind" && mount.type != "cache" && mount.type != "tmpfs" &&
      mount.type != "secret")
    return fail(Errc::InvalidArgument,
                "--mount: type \"{}\" is not supported (bind, cache, tmpfs, secret)", mount.type);
  if (!mount.mode.empty() &&
      (mount.mode.size() > 4 || mount.mode.find_first_not_of("01234567") != std::string::npos))
    return fail(Errc::InvalidArgument, "--mount: mode={}: expected an octal mode such as 0755",
                mount.mode);
  if (mount.type == "secret" && mount.target.empty()) mount.target = "/run/secrets/" + mount.id;
  if (mount.target.empty())
    return fail(Errc::InvalidArgument, "--mount {}: a target is required", text);
  if (mount.type == "bind" && mount.from.empty() && mount.source.empty()) mount.source = ".";
  return mount;
}

Result<std::string> cache_dir(Session& session, const RunMount& mount) {
  std::string id = mount.id.empty() ? mount.target : mount.id;
  std::string dir = session.store().root() + "/build-cache-mounts/" + sha256_hex(id).substr(0, 32);
  if (sys::is_directory(dir)) return dir;
  TRY(sys::mkdir_p(dir, 0755));
  uid_t uid = mount.uid.empty() ? 0 : static_cast<uid_t>(TRY(parse_uint64(mount.uid)));
  gid_t gid = mount.gid.empty() ? 0 : static_cast<gid_t>(TRY(parse_uint64(mount.gid)));
  if (::chown(dir.c_str(), uid, gid) != 0) return fail_errno(errno, "chown \"{}\"", dir);
  if (!mount.mode.empty()) {
    mode_t mode = static_cast<mode_t>(std::stoul(mount.mode, nullptr, 8));
    if (::chmod(dir.c_str(), mode) != 0) return fail_errno(errno, "chmod \"{}\"", dir);
  }
  return dir;
}

// A bind's source, resolved inside the context (or the stage's root) and bound on a
// directory of the step, so the runtime gets a plain path that cannot lead elsewhere.
Result<std::string> bind_source(Session& session, const quai::build::Stage& stage,
                                const RunMount& mount, const engine::StepRoot& root, int index) {
  SourceTree tree = session.context;
  std::string view = fmt::format("{}/mount-{}-view", root.dir, index);
  sys::UniqueFd view_fd;
  if (!mount.from.empty()) {
    auto image = TRY(session.source_image(stage, mount.from));
    std::vector<std::string> lowers;
    for (const auto& layer : TRY(session.store().layers(image))) lowers.push_back(layer.path);
    TRY(engine::mount_image_view(view, lowers));
    view_fd.reset(::open(view.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!view_fd) return fail_errno(errno, "open \"{}\"", view);
    tree = SourceTree{view_fd.get(), SourceRoot::Image, nullptr, nullptr};
  }
  auto sources = TRY(find_sources(tree, mount.source));
  std::string point = fmt::format("{}/mount-{}", root.dir, index);
  bool is_dir = S_ISDIR(sources[0].st.st_mode);
  if (is_dir ? ::mkdir(point.c_str(), 0755) != 0
             : !sys::UniqueFd(::open(point.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644)))
    return fail_errno(errno, "make \"{}\"", point);
  if (::mount(sys::fd_path(sources[0].fd.get()).c_str(), point.c_str(), nullptr, MS_BIND | MS_REC,
              nullptr) != 0)
    return fail_errno(errno, "bind \"{}\"", mount.source);
  return point;
}

// The secret's content, copied into the step's dir with the mount's owner and mode
// (root, 0400 by default, as BuildKit), for a read-only bind. NotFound when not given.
Result<std::string> secret_file(Session& session, const RunMount& mount,
                                const engine::StepRoot& root, int index) {
  std::string id = mount.id.empty() ? mount.target.substr(mount.target.rfind('/') + 1) : mount.id;
  auto given = session.options->secrets.find(id);
  if (given == session.options->secrets.end())
    return fail(Errc::NotFound, "secret \"{}\" not provided: give it with --secret id={},src=FILE",
                id, id);
  std::string file = fmt::format("{}/secret-{}", root.dir, index);
  mode_t mode = mount.mode.empty() ? 0400 : static_cast<mode_t>(std::stoul(mount.mode, nullptr, 8));
  TRY(sys::write_file(file, given->second, mode));
  uid_t uid = mount.uid.empty() ? 0 : static_cast<uid_t>(TRY(parse_uint64(mount.uid)));
  gid_t gid = mount.gid.empty() ? 0 : static_cast<gid_t>(TRY(parse_uint64(mount.gid)));
  if (::chown(file.c_str(), uid, gid) != 0 || ::chmod(file.c_str(), mode) != 0)
    return fail_errno(errno, "secret \"{}\": set its owner and mode", id);
  return file;
}

}  // namespace

Result<std::vector<RunMount>> parse_run_mounts(
    const Instruction& instruction,
    const std::function<Result<std::string>(const std::string&)>& expand) {
  std::vector<RunMount> mounts;
  for (const auto& text : instruction.flag_values("mount"))
    mounts.push_back(TRY(parse_one(text, expand)));
  return mounts;
}

std::string describe_mounts(const std::vector<RunMount>& mounts) {
  std::vector<std::string> parts;
  for (const auto& m : mounts) {
    parts.push_back(fmt::format("{}:{}:{}:{}:{}:{}", m.type, m.target, m.source, m.from, m.id,
                                m.read_only.value_or(m.type == "bind")));
  }
  return join(parts, ";");
}

Result<std::string> describe_mount_inputs(Session& session, const quai::build::Stage& stage,
                                          const std::vector<RunMount>& mounts) {
  std::string inputs;
  for (const auto& m : mounts) {
    if (m.type != "bind") continue;
    if (!m.from.empty()) {
      inputs += "\nbind from " + TRY(session.source_image(stage, m.from)).id.str();
      continue;
    }
    for (const auto& source : TRY(find_sources(session.context, m.source)))
      inputs += "\nbind " + source.path + " " + TRY(hash_source(session.context, source));
  }
  return inputs;
}

Result<std::vector<engine::ResolvedMount>> resolve_run_mounts(Session& session,
                                                              const quai::build::Stage& stage,
                                                              const std::vector<RunMount>& mounts,
                                                              const engine::StepRoot& root) {
  std::vector<engine::ResolvedMount> resolved;
  int index = 0;
  for (const auto& m : mounts) {
    ++index;
    if (m.type == "tmpfs") {
      std::vector<std::string> options = {"nosuid", "nodev"};
      if (!m.size.empty()) options.push_back("size=" + m.size);
      resolved.push_back({"tmpfs", "tmpfs", m.target, options});
    } else if (m.type == "cache") {
      std::vector<std::string> options = {"rbind", "rprivate"};
      if (m.read_only.value_or(false)) options.emplace_back("ro");
      resolved.push_back({"bind", TRY(cache_dir(session, m)), m.target, options});
    } else if (m.type == "bind") {
      std::vector<std::string> options = {"rbind", "rprivate"};
      // As BuildKit: a bind is read-only unless rw.
      if (m.read_only.value_or(true)) options.emplace_back("ro");
      resolved.push_back(
          {"bind", TRY(bind_source(session, stage, m, root, index)), m.target, options});
    } else if (auto file = secret_file(session, m, root, index)) {
      resolved.push_back({"bind", *file, m.target, {"rbind", "rprivate", "ro"}});
    } else if (file.error().code() != Errc::NotFound || m.required) {
      return std::unexpected(file.error());
    }
  }
  return resolved;
}

}  // namespace quai::build::internal
