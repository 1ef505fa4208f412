#include "runtime/state.h"

#include <fcntl.h>
#include <sys/file.h>

#include <cerrno>

#include "sys/file_io.h"

namespace quai::runtime {

std::string_view status_name(ContainerStatus status) {
  switch (status) {
    case ContainerStatus::Creating:
      return "creating";
    case ContainerStatus::Created:
      return "created";
    case ContainerStatus::Running:
      return "running";
    case ContainerStatus::Paused:
      return "paused";
    case ContainerStatus::Stopped:
      return "stopped";
  }
  return "unknown";
}

Json ContainerState::to_json() const {
  return Json{{"id", id},
              {"bundle", bundle},
              {"rootfs", rootfs},
              {"ociVersion", oci_version},
              {"created", created},
              {"owner", owner},
              {"cgroupPath", cgroup_path},
              {"cgroupOwnedFrom", cgroup_owned_from},
              {"pid", pid},
              {"startTime", start_time},
              {"annotations", annotations}};
}

Result<ContainerState> ContainerState::from_json(const Json& json, std::string_view origin) {
  JsonReader r(json, "");
  if (!json.is_object()) return fail(Errc::Corrupt, "{}: expected an object", origin);
  ContainerState state;
  auto read = [&]() -> Status {
    state.id = TRY(r.string("id"));
    state.bundle = TRY(r.string("bundle"));
    state.rootfs = TRY(r.optional_string("rootfs")).value_or("");
    state.oci_version = TRY(r.string("ociVersion"));
    state.created = TRY(r.string("created"));
    state.owner = TRY(r.optional_string("owner")).value_or("");
    state.cgroup_path = TRY(r.optional_string("cgroupPath")).value_or("");
    state.cgroup_owned_from = TRY(r.optional_string("cgroupOwnedFrom")).value_or("");
    state.pid = static_cast<pid_t>(TRY(r.int64("pid")));
    state.start_time = TRY(r.uint64("startTime"));
    state.annotations = TRY(r.string_map("annotations"));
    return ok();
  };
  if (auto status = read(); !status) {
    Error error = status.error();
    return fail(Error(Errc::Corrupt, fmt::format("{}: {}", origin, error.to_string())));
  }
  return state;
}

Status StateDir::save(const ContainerState& state) const {
  // Container state lives as long as its processes: a crash of the machine ends both, so
  // the rename alone (readers never see half a file) is enough, and start-up saves an fsync.
  return sys::write_file_atomic(state_file(), state.to_json().dump(), 0600,
                                sys::Durability::Volatile);
}

Result<sys::UniqueFd> StateDir::lock() const {
  sys::UniqueFd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", dir_);
  while (::flock(fd.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return fail_errno(errno, "lock \"{}\"", dir_);
  }
  return fd;
}

Result<ContainerState> StateDir::load() const {
  auto text = TRY(sys::read_file(state_file()));
  Json json = TRY(parse_json(text, state_file()));
  return ContainerState::from_json(json, state_file());
}

Status validate_container_id(const std::string& id) {
  if (id.empty()) return fail(Errc::InvalidArgument, "container id must not be empty");
  if (id.size() > 1024)
    return fail(Errc::InvalidArgument, "container id is longer than 1024 characters");
  if (id == "." || id == "..")
    return fail(Errc::InvalidArgument, "invalid container id \"{}\"", id);
  for (char c : id) {
    bool allowed =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '+' || c == '-' || c == '.';
    if (!allowed)
      return fail(Errc::InvalidArgument,
                  "invalid container id \"{}\": only [A-Za-z0-9_+.-] allowed", id);
  }
  return ok();
}

}  // namespace quai::runtime
