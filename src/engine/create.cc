#include "engine/create.h"

#include <algorithm>

#include "engine/internal/networking.h"
#include "engine/volumes.h"
#include "store/ids.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

std::string env_key(const std::string& entry) { return entry.substr(0, entry.find('=')); }

bool covered_by_mount(const ContainerRecord& record, const std::string& path) {
  return std::ranges::any_of(record.mounts,
                             [&](const MountRequest& m) { return m.target == path; });
}

// Docker's rule: absolute, and cleaned ("/a/../../b" is "/b", inside the container).
Result<std::string> working_dir(const std::string& dir) {
  if (dir.empty()) return dir;
  if (!dir.starts_with('/')) {
    return fail(Errc::InvalidArgument,
                "the working directory \"{}\" is invalid, it needs to be an absolute path", dir);
  }
  return sys::clean_path(dir);
}

// execve(2) refuses any one string of MAX_ARG_STRLEN (32 pages) or more with E2BIG, which
// names nothing: say which variable, before anything is made.
Status check_env_sizes(const std::vector<std::string>& env) {
  constexpr size_t kMaxArgStrlen = 32 * 4096;
  for (const auto& entry : env) {
    if (entry.size() + 1 > kMaxArgStrlen) {
      return fail(Errc::InvalidArgument, "Env \"{}\": {} bytes, more than the {} execve(2) takes",
                  env_key(entry), entry.size(), kMaxArgStrlen - 1);
    }
  }
  return ok();
}

// As in Docker, a published port is exposed too: the image's, --expose's and -p's, once.
std::vector<std::string> expose(const std::vector<std::string>& from_image,
                                const ContainerRecord& record) {
  std::vector<std::string> exposed = from_image;
  exposed.insert(exposed.end(), record.exposed_ports.begin(), record.exposed_ports.end());
  for (const auto& binding : record.port_bindings)
    exposed.push_back(port_key(binding.container_port, binding.protocol));
  std::ranges::sort(exposed);
  exposed.erase(std::unique(exposed.begin(), exposed.end()), exposed.end());
  return exposed;
}

}  // namespace

std::vector<std::string> merge_env(std::vector<std::string> base,
                                   const std::vector<std::string>& overrides) {
  for (const auto& entry : overrides) {
    auto same = std::ranges::find_if(
        base, [&](const std::string& e) { return env_key(e) == env_key(entry); });
    if (same != base.end()) {
      *same = entry;
    } else {
      base.push_back(entry);
    }
  }
  return base;
}

Result<ContainerRecord> create_from_request(Engine& engine, const ContainerRequest& request) {
  auto image = TRY(engine.images().find(request.image));
  auto config = TRY(engine.images().config(image));
  auto lock = TRY(engine.images().lock_content());  // no GC between resolving and pinning
  auto layers = TRY(engine.images().layers(TRY(engine.images().manifest(image)), config));
  const auto& from_image = config.config;

  ContainerRecord record = request.host;
  record.name = request.name;
  record.image = request.image;
  record.image_id = image.id;
  for (const auto& layer : layers) record.layers.push_back(layer.diff_id);
  TRY_CTX(check_env_sizes(from_image.env), "image \"{}\"", request.image);
  TRY_CTX(check_env_sizes(request.env), "--env");
  record.env = merge_env(from_image.env, request.env);
  record.entrypoint = request.entrypoint ? *request.entrypoint : from_image.entrypoint;
  if (!request.args.empty()) {
    record.cmd = request.args;
  } else if (!request.entrypoint) {
    record.cmd = from_image.cmd;
  }
  record.user = request.user.empty() ? from_image.user : request.user;
  record.working_dir = TRY_CTX(
      working_dir(request.working_dir.empty() ? from_image.working_dir : request.working_dir), "{}",
      request.working_dir.empty() ? fmt::format("image \"{}\": WorkingDir", request.image)
                                  : std::string("--workdir"));
  record.labels = from_image.labels;
  for (const auto& [key, value] : request.labels) record.labels[key] = value;
  record.stop_signal = !request.stop_signal.empty()      ? request.stop_signal
                       : !from_image.stop_signal.empty() ? from_image.stop_signal
                                                         : "SIGTERM";
  record.stop_timeout = request.stop_timeout.value_or(10);
  record.tty = request.tty;
  record.open_stdin = request.interactive;
  record.hostname = request.hostname;
  record.image_volumes = from_image.volumes;
  record.exposed_ports = expose(from_image.exposed_ports, record);
  for (const auto& path : from_image.volumes) {
    if (covered_by_mount(record, path)) continue;
    auto volume = TRY(create_volume(engine, "", {}, true));
    MountRequest anonymous;
    anonymous.type = "volume";
    anonymous.source = volume.name;
    anonymous.target = path;
    record.mounts.push_back(anonymous);
  }
  for (auto& m : record.mounts) {
    if (m.type == "volume" && m.source.empty())
      m.source = TRY(create_volume(engine, "", {}, true)).name;
  }
  if (record.entrypoint.empty() && record.cmd.empty()) {
    return fail(Errc::InvalidArgument, "No command specified");
  }
  TRY(internal::check_network_request(engine, record));
  return engine.create_container(std::move(record));
}

}  // namespace quai::engine
