#include "engine/container.h"

#include <array>

namespace quai::engine {
namespace {

Result<std::string> text_or_empty(const JsonReader& r, std::string_view key) {
  return TRY(r.optional_string(key)).value_or("");
}

Result<int64_t> number_or_zero(const JsonReader& r, std::string_view key) {
  return TRY(r.optional_int64(key)).value_or(0);
}

Json mount_to_json(const MountRequest& m) {
  Json j{{"Type", m.type}, {"Source", m.source}, {"Target", m.target}, {"ReadOnly", m.read_only}};
  if (!m.propagation.empty()) j["BindOptions"] = {{"Propagation", m.propagation}};
  if (m.no_copy) j["VolumeOptions"] = {{"NoCopy", true}};
  if (m.type == "tmpfs") j["TmpfsOptions"] = {{"SizeBytes", m.tmpfs_size}, {"Mode", m.tmpfs_mode}};
  return j;
}

Result<MountRequest> mount_from_json(const JsonReader& r) {
  MountRequest m;
  m.type = TRY(r.string("Type"));
  m.source = TRY(text_or_empty(r, "Source"));
  m.target = TRY(r.string("Target"));
  m.read_only = TRY(r.boolean("ReadOnly", false));
  if (r.has("BindOptions"))
    m.propagation = TRY(text_or_empty(TRY(r.object("BindOptions")), "Propagation"));
  if (r.has("VolumeOptions"))
    m.no_copy = TRY(TRY(r.object("VolumeOptions")).boolean("NoCopy", false));
  if (r.has("TmpfsOptions")) {
    auto t = TRY(r.object("TmpfsOptions"));
    m.tmpfs_size = TRY(number_or_zero(t, "SizeBytes"));
    m.tmpfs_mode = static_cast<uint32_t>(TRY(number_or_zero(t, "Mode")));
  }
  return m;
}

Json config_to_json(const ContainerRecord& c) {
  Json volumes = Json::object();
  for (const auto& v : c.image_volumes) volumes[v] = Json::object();
  Json exposed = Json::object();
  for (const auto& port : c.exposed_ports) exposed[port] = Json::object();
  return {{"Hostname", c.hostname},
          {"User", c.user},
          {"WorkingDir", c.working_dir},
          {"Env", c.env},
          {"Entrypoint", c.entrypoint},
          {"Cmd", c.cmd},
          {"Labels", c.labels},
          {"StopSignal", c.stop_signal},
          {"StopTimeout", c.stop_timeout},
          {"Tty", c.tty},
          {"OpenStdin", c.open_stdin},
          {"AttachStdin", c.open_stdin},
          {"Volumes", volumes},
          {"ExposedPorts", exposed},
          {"Image", c.image}};
}

Status config_from_json(const JsonReader& r, ContainerRecord& c) {
  c.hostname = TRY(text_or_empty(r, "Hostname"));
  c.user = TRY(text_or_empty(r, "User"));
  c.working_dir = TRY(text_or_empty(r, "WorkingDir"));
  c.env = TRY(r.strings("Env"));
  c.entrypoint = TRY(r.strings("Entrypoint"));
  c.cmd = TRY(r.strings("Cmd"));
  c.labels = TRY(r.string_map("Labels"));
  c.stop_signal = TRY(text_or_empty(r, "StopSignal"));
  c.stop_timeout = static_cast<int>(TRY(number_or_zero(r, "StopTimeout")));
  c.tty = TRY(r.boolean("Tty", false));
  c.open_stdin = TRY(r.boolean("OpenStdin", false));
  if (r.has("ExposedPorts")) {
    for (const auto& [port, _] : TRY(r.object("ExposedPorts")).value().items())
      c.exposed_ports.push_back(port);
  }
  if (r.has("Volumes")) {
    for (const auto& [path, _] : TRY(r.object("Volumes")).value().items())
      c.image_volumes.push_back(path);
  }
  c.image = TRY(text_or_empty(r, "Image"));
  return ok();
}

Json host_config_to_json(const ContainerRecord& c) {
  Json ulimits = Json::array();
  for (const auto& u : c.ulimits)
    ulimits.push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
  Json mounts = Json::array();
  for (const auto& m : c.mounts) mounts.push_back(mount_to_json(m));
  return {
      {"AutoRemove", c.auto_remove},
      {"ReadonlyRootfs", c.read_only},
      {"Privileged", c.privileged},
      {"Init", c.init},
      {"NetworkMode", c.network_mode},
      {"Links", c.links},
      {"ExtraHosts", c.extra_hosts},
      {"Dns", c.dns},
      {"DnsSearch", c.dns_search},
      {"DnsOptions", c.dns_options},
      {"PortBindings", port_bindings_to_json(c.port_bindings)},
      {"PublishAllPorts", c.publish_all},
      {"Memory", c.memory},
      {"NanoCpus", c.nano_cpus},
      {"PidsLimit", c.pids_limit},
      {"Ulimits", ulimits},
      {"CapAdd", c.cap_add},
      {"CapDrop", c.cap_drop},
      {"SecurityOpt", c.security_opt},
      {"Mounts", mounts},
      {"RestartPolicy", {{"Name", c.restart.name}, {"MaximumRetryCount", c.restart.max_retries}}}};
}

Status host_config_from_json(const JsonReader& r, ContainerRecord& c) {
  c.auto_remove = TRY(r.boolean("AutoRemove", false));
  c.read_only = TRY(r.boolean("ReadonlyRootfs", false));
  c.privileged = TRY(r.boolean("Privileged", false));
  c.init = TRY(r.boolean("Init", false));
  c.network_mode = TRY(text_or_empty(r, "NetworkMode"));
  c.links = TRY(r.strings("Links"));
  c.extra_hosts = TRY(r.strings("ExtraHosts"));
  c.dns = TRY(r.strings("Dns"));
  c.dns_search = TRY(r.strings("DnsSearch"));
  c.dns_options = TRY(r.strings("DnsOptions"));
  if (r.has("PortBindings"))
    c.port_bindings = TRY(port_bindings_from_json(TRY(r.object("PortBindings"))));
  c.publish_all = TRY(r.boolean("PublishAllPorts", false));
  c.memory = TRY(number_or_zero(r, "Memory"));
  c.nano_cpus = TRY(number_or_zero(r, "NanoCpus"));
  c.pids_limit = TRY(number_or_zero(r, "PidsLimit"));
  for (const auto& u : TRY(r.array("Ulimits"))) {
    std::string name = TRY(u.string("Name"));
    int64_t soft = TRY(u.int64("Soft"));
    c.ulimits.push_back({std::move(name), soft, TRY(u.int64("Hard"))});
  }
  c.cap_add = TRY(r.strings("CapAdd"));
  c.cap_drop = TRY(r.strings("CapDrop"));
  c.security_opt = TRY(r.strings("SecurityOpt"));
  for (const auto& m : TRY(r.array("Mounts"))) c.mounts.push_back(TRY(mount_from_json(m)));
  if (r.has("RestartPolicy")) {
    auto policy = TRY(r.object("RestartPolicy"));
    c.restart.name = TRY(text_or_empty(policy, "Name"));
    c.restart.max_retries = static_cast<int>(TRY(number_or_zero(policy, "MaximumRetryCount")));
  }
  return ok();
}

// As in Docker's create request: EndpointsConfig.<network>.IPAMConfig.IPv4Address.
Json endpoint_to_json(const std::string& address, const std::vector<std::string>& aliases) {
  Json endpoint = Json::object();
  if (!address.empty()) endpoint["IPAMConfig"] = {{"IPv4Address", address}};
  if (!aliases.empty()) endpoint["Aliases"] = aliases;
  return endpoint;
}

Json networking_config_to_json(const ContainerRecord& c) {
  Json endpoints = Json::object();
  if (!c.left_network_mode)
    endpoints[c.network_mode] = endpoint_to_json(c.ipv4_address, c.network_aliases);
  for (const auto& more : c.more_networks)
    endpoints[more.network] = endpoint_to_json(more.ipv4_address, more.aliases);
  return {{"EndpointsConfig", endpoints}};
}

Status networking_config_from_json(const JsonReader& r, ContainerRecord& c) {
  auto endpoints = TRY(r.object("EndpointsConfig"));
  c.left_network_mode = !endpoints.has(c.network_mode);
  for (const auto& [name, _] : endpoints.value().items()) {
    auto endpoint = TRY(endpoints.object(name));
    NetworkAttachment attachment{name, "", TRY(endpoint.strings("Aliases"))};
    if (endpoint.has("IPAMConfig"))
      attachment.ipv4_address =
          TRY(text_or_empty(TRY(endpoint.object("IPAMConfig")), "IPv4Address"));
    if (name != c.network_mode) {
      c.more_networks.push_back(std::move(attachment));
      continue;
    }
    c.network_aliases = std::move(attachment.aliases);
    c.ipv4_address = std::move(attachment.ipv4_address);
  }
  return ok();
}

}  // namespace

Json ContainerRecord::to_json() const {
  Json layer_list = Json::array();
  for (const auto& layer : layers) layer_list.push_back(layer.str());
  return {{"Id", id},
          {"Name", "/" + name},
          {"Created", created},
          {"Image", image_id.str()},
          {"Layers", layer_list},
          {"Config", config_to_json(*this)},
          {"HostConfig", host_config_to_json(*this)},
          {"NetworkingConfig", networking_config_to_json(*this)}};
}

Result<ContainerRecord> ContainerRecord::from_json(const Json& json, std::string_view origin) {
  JsonReader r(json, std::string(origin));
  ContainerRecord c;
  c.id = TRY(r.string("Id"));
  c.name = TRY(r.string("Name"));
  if (c.name.starts_with('/')) c.name.erase(0, 1);
  c.created = TRY(text_or_empty(r, "Created"));
  c.image_id = TRY_CTX(image::Digest::parse(TRY(r.string("Image"))), "{}: Image", origin);
  for (const auto& layer : TRY(r.strings("Layers"))) {
    c.layers.push_back(TRY_CTX(image::Digest::parse(layer), "{}: Layers", origin));
  }
  TRY(config_from_json(TRY(r.object("Config")), c));
  TRY(host_config_from_json(TRY(r.object("HostConfig")), c));
  if (r.has("NetworkingConfig"))
    TRY(networking_config_from_json(TRY(r.object("NetworkingConfig")), c));
  return c;
}

namespace {
constexpr std::array<std::string_view, 6> kStatusNames = {"created",    "running", "paused",
                                                          "restarting", "exited",  "dead"};
}

std::string_view run_status_name(RunStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

Json ContainerRunState::to_json() const {
  return {{"Status", run_status_name(status)},
          {"Pid", pid},
          {"PidStartTime", pid_start_time},
          {"MonitorPid", monitor_pid},
          {"MonitorStartTime", monitor_start_time},
          {"ExitCode", exit_code},
          {"OOMKilled", oom_killed},
          {"StoppedByUser", stopped_by_user},
          {"RestartCount", restart_count},
          {"Ports", published_ports_to_json(ports)},
          {"Error", error},
          {"StartedAt", started_at.empty() ? std::string(kZeroTime) : started_at},
          {"FinishedAt", finished_at.empty() ? std::string(kZeroTime) : finished_at}};
}

Result<ContainerRunState> ContainerRunState::from_json(const Json& json, std::string_view origin) {
  JsonReader r(json, std::string(origin));
  ContainerRunState s;
  std::string status = TRY(r.string("Status"));
  auto found = std::ranges::find(kStatusNames, status);
  if (found == kStatusNames.end()) return fail(r.error("Status", "unknown status"));
  s.status = static_cast<RunStatus>(found - kStatusNames.begin());
  s.pid = static_cast<pid_t>(TRY(number_or_zero(r, "Pid")));
  s.pid_start_time = TRY(r.optional_uint64("PidStartTime")).value_or(0);
  s.monitor_pid = static_cast<pid_t>(TRY(number_or_zero(r, "MonitorPid")));
  s.monitor_start_time = TRY(r.optional_uint64("MonitorStartTime")).value_or(0);
  s.exit_code = static_cast<int>(TRY(number_or_zero(r, "ExitCode")));
  s.oom_killed = TRY(r.boolean("OOMKilled", false));
  s.stopped_by_user = TRY(r.boolean("StoppedByUser", false));
  s.restart_count = static_cast<int>(TRY(number_or_zero(r, "RestartCount")));
  if (r.has("Ports")) s.ports = TRY(published_ports_from_json(TRY(r.object("Ports"))));
  s.error = TRY(text_or_empty(r, "Error"));
  s.started_at = TRY(text_or_empty(r, "StartedAt"));
  s.finished_at = TRY(text_or_empty(r, "FinishedAt"));
  return s;
}

}  // namespace quai::engine
