#include "cli/quai/run_flags.h"

#include <charconv>
#include <cmath>

#include "base/strings.h"
#include "cli/quai/format.h"
#include "cli/quai/verbs.h"
#include "net/ipv4.h"
#include "sys/file_io.h"

namespace quai::cli {
namespace {

// "512m", "1g", "1024": Docker's binary units.
Result<int64_t> parse_bytes(std::string_view flag, std::string text) {
  if (text.empty()) return 0;
  int64_t multiplier = 1;
  char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  if (unit == 'b')
    text.pop_back(),
        unit = text.empty()
                   ? 0
                   : static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  for (auto [suffix, factor] :
       {std::pair{'k', 1LL << 10}, {'m', 1LL << 20}, {'g', 1LL << 30}, {'t', 1LL << 40}}) {
    if (unit == suffix) {
      multiplier = factor;
      text.pop_back();
    }
  }
  auto value = parse_int64(text);
  if (!value || *value < 0)
    return fail(Errc::InvalidArgument, "invalid {} value \"{}\"", flag, text);
  return *value * multiplier;
}

// "1777", "0700": a file mode in octal, as tmpfs-mode and mode= take it.
Result<uint32_t> parse_mode(std::string_view flag, const std::string& text) {
  uint32_t mode = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || mode > 07777) {
    return fail(Errc::InvalidArgument, "invalid {} value \"{}\": expected an octal mode", flag,
                text);
  }
  return mode;
}

Result<engine::MountRequest> parse_volume_flag(const std::string& spec) {
  auto parts = split(spec, ':');
  engine::MountRequest m;
  if (parts.size() == 1) {
    m.type = "volume";  // anonymous
    m.target = parts[0];
    return m;
  }
  if (parts.size() > 3)
    return fail(Errc::InvalidArgument, "invalid volume specification: '{}'", spec);
  m.source = parts[0];
  m.target = parts[1];
  m.type = m.source.starts_with('/') || m.source.starts_with('.') ? "bind" : "volume";
  if (m.type == "bind") m.source = absolute_path(m.source);
  if (parts.size() == 3) {
    for (const auto& option : split(parts[2], ',')) {
      if (option == "ro")
        m.read_only = true;
      else if (option == "rw" || option == "z" || option == "Z")
        continue;
      else if (option == "nocopy")
        m.no_copy = true;
      else if (option.find("private") != std::string::npos ||
               option.find("shared") != std::string::npos ||
               option.find("slave") != std::string::npos)
        m.propagation = option;
      else
        return fail(Errc::InvalidArgument, "invalid mode: {}", option);
    }
  }
  if (!m.target.starts_with('/'))
    return fail(Errc::InvalidArgument,
                "invalid volume specification: '{}': the target must be absolute", spec);
  return m;
}

Result<engine::MountRequest> parse_mount_flag(const std::string& spec) {
  engine::MountRequest m;
  m.type = "volume";
  for (const auto& field : split(spec, ',')) {
    auto eq = field.find('=');
    std::string key = to_lower(trim(field.substr(0, eq)));
    std::string value = eq == std::string::npos ? "" : std::string(trim(field.substr(eq + 1)));
    if (key == "type")
      m.type = value;
    else if (key == "source" || key == "src")
      m.source = value;
    else if (key == "target" || key == "destination" || key == "dst")
      m.target = value;
    else if (key == "readonly" || key == "ro")
      m.read_only = value.empty() || value == "true" || value == "1";
    else if (key == "bind-propagation")
      m.propagation = value;
    else if (key == "tmpfs-size")
      m.tmpfs_size = TRY(parse_bytes("tmpfs-size", value));
    else if (key == "tmpfs-mode")
      m.tmpfs_mode = TRY(parse_mode("tmpfs-mode", value));
    else if (key == "volume-nocopy")
      m.no_copy = value.empty() || value == "true" || value == "1";
    else if (key == "consistency")
      continue;
    else
      return fail(Errc::InvalidArgument,
                  "invalid argument for --mount: unexpected key '{}' in '{}'", key, field);
  }
  if (m.type != "bind" && m.type != "volume" && m.type != "tmpfs") {
    return fail(Errc::InvalidArgument, "invalid argument for --mount: unknown mount type \"{}\"",
                m.type);
  }
  if (m.target.empty())
    return fail(Errc::InvalidArgument, "invalid argument for --mount \"{}\": target is required",
                spec);
  if (m.type == "bind" && m.source.empty())
    return fail(Errc::InvalidArgument,
                "invalid argument for --mount \"{}\": source is required for a bind mount", spec);
  if (m.type == "bind") m.source = absolute_path(m.source);
  return m;
}

Result<engine::MountRequest> parse_tmpfs_flag(const std::string& spec) {
  engine::MountRequest m;
  m.type = "tmpfs";
  auto colon = spec.find(':');
  m.target = spec.substr(0, colon);
  if (colon != std::string::npos) {
    for (const auto& option : split(spec.substr(colon + 1), ',')) {
      if (option.starts_with("size="))
        m.tmpfs_size = TRY(parse_bytes("--tmpfs size", option.substr(5)));
      else if (option.starts_with("mode="))
        m.tmpfs_mode = TRY(parse_mode("--tmpfs mode", option.substr(5)));
      else if (option == "ro")
        m.read_only = true;
    }
  }
  return m;
}

Result<engine::Ulimit> parse_ulimit(const std::string& spec) {
  auto eq = spec.find('=');
  if (eq == std::string::npos)
    return fail(Errc::InvalidArgument, "invalid ulimit argument: {}", spec);
  auto values = split(spec.substr(eq + 1), ':');
  auto soft = parse_int64(values[0]);
  auto hard = values.size() > 1 ? parse_int64(values[1]) : soft;
  if (!soft || !hard || values.size() > 2)
    return fail(Errc::InvalidArgument, "invalid ulimit argument: {}", spec);
  return engine::Ulimit{spec.substr(0, eq), *soft, *hard};
}

Result<engine::RestartPolicy> parse_restart(const std::string& spec) {
  auto colon = spec.find(':');
  engine::RestartPolicy policy{spec.substr(0, colon), 0};
  if (policy.name != "no" && policy.name != "always" && policy.name != "on-failure" &&
      policy.name != "unless-stopped") {
    return fail(Errc::InvalidArgument, "invalid restart policy '{}'", spec);
  }
  if (colon != std::string::npos) {
    if (policy.name != "on-failure")
      return fail(
          Errc::InvalidArgument,
          "invalid restart policy '{}': maximum retry count can only be used with 'on-failure'",
          spec);
    policy.max_retries = static_cast<int>(TRY(parse_int64(spec.substr(colon + 1))));
  }
  return policy;
}

Result<std::vector<std::string>> read_env_file(const std::string& path) {
  auto text = TRY_CTX(sys::read_file(path), "--env-file");
  std::vector<std::string> env;
  for (const auto& raw : split(text, '\n')) {
    std::string line(trim(raw));
    if (line.empty() || line.starts_with('#')) continue;
    if (line.find('=') == std::string::npos) {
      if (const char* value = ::getenv(line.c_str()))
        line += std::string("=") + value;
      else
        continue;
    }
    env.push_back(line);
  }
  return env;
}

// "-e NAME" takes NAME's value from the CLI's environment, as Docker does.
std::string expand_env(const std::string& entry) {
  if (entry.find('=') != std::string::npos) return entry;
  const char* value = ::getenv(entry.c_str());
  return value ? entry + "=" + value : entry;
}

}  // namespace

void add_run_flags(CLI::App& c, RunFlags& f) {
  c.set_help_flag("--help", "Print usage");  // -h is --hostname, as in Docker
  c.add_flag("-d,--detach", f.detach, "Run in the background and print the container ID");
  c.add_flag("-i,--interactive", f.interactive, "Keep STDIN open");
  c.add_flag("-t,--tty", f.tty, "Allocate a pseudo-TTY");
  c.add_flag("--rm", f.auto_remove, "Remove the container when it exits");
  c.add_option("--name", f.name, "Container name");
  c.add_option("-e,--env", f.env, "Set environment variables");
  c.add_option("--env-file", f.env_files, "Read environment variables from a file");
  c.add_option("-w,--workdir", f.workdir, "Working directory inside the container");
  c.add_option("-u,--user", f.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  c.add_option("--entrypoint", f.entrypoint, "Overwrite the image's ENTRYPOINT")
      ->each([&f](const std::string&) { f.entrypoint_given = true; });
  c.add_option("-h,--hostname", f.hostname, "Container host name");
  c.add_flag("--read-only", f.read_only, "Mount the root filesystem read-only");
  c.add_option("-m,--memory", f.memory, "Memory limit");
  c.add_option("--cpus", f.cpus, "Number of CPUs");
  c.add_option("--pids-limit", f.pids_limit, "Process limit");
  c.add_option("--ulimit", f.ulimits, "Ulimit options");
  c.add_option("--cap-add", f.cap_add, "Add Linux capabilities");
  c.add_option("--cap-drop", f.cap_drop, "Drop Linux capabilities");
  c.add_flag("--privileged", f.privileged, "Give extended privileges");
  c.add_option("--security-opt", f.security_opt, "Security options");
  c.add_option("--restart", f.restart, "Restart policy")->capture_default_str();
  c.add_flag("--init", f.init, "Run an init inside the container");
  c.add_option("-v,--volume", f.volumes, "Bind mount a volume");
  c.add_option("--mount", f.mounts, "Attach a filesystem mount");
  c.add_option("--tmpfs", f.tmpfs, "Mount a tmpfs directory");
  c.add_option("-l,--label", f.labels, "Set metadata");
  c.add_option("--stop-signal", f.stop_signal, "Signal to stop the container");
  c.add_option("--stop-timeout", f.stop_timeout, "Timeout (in seconds) to stop a container");
  c.add_option("--network,--net", f.networks,
               "Connect to networks: none, host, container:ID or networks' names (default none)");
  c.add_option("--link", f.links, "Add link to another container");
  c.add_option("--ip", f.ip, "IPv4 address (e.g., 172.30.100.104)");
  c.add_option("--network-alias", f.network_aliases, "Add network-scoped alias for the container");
  c.add_option("-p,--publish", f.publish, "Publish a container's port(s) to the host");
  c.add_flag("-P,--publish-all", f.publish_all, "Publish all exposed ports to random ports");
  c.add_option("--expose", f.expose, "Expose a port or a range of ports");
  c.add_option("--add-host", f.add_hosts, "Add a custom host-to-IP mapping (host:ip)");
  c.add_option("--dns", f.dns, "Set custom DNS servers");
  c.add_option("--dns-search", f.dns_search, "Set custom DNS search domains");
  c.add_option("--dns-option,--dns-opt", f.dns_options, "Set DNS options");
  c.prefix_command();
}

Result<std::vector<std::string>> read_env_flags(const std::vector<std::string>& env,
                                                const std::vector<std::string>& env_files) {
  std::vector<std::string> out;
  for (const auto& file : env_files) {
    auto from_file = TRY(read_env_file(file));
    out.insert(out.end(), from_file.begin(), from_file.end());
  }
  for (const auto& e : env) out.push_back(expand_env(e));
  return out;
}

Result<engine::ContainerRequest> make_request(const RunFlags& f,
                                              const std::vector<std::string>& image_and_args) {
  if (image_and_args.empty())
    return fail(Errc::InvalidArgument, "requires at least 1 argument: IMAGE [COMMAND] [ARG...]");
  engine::ContainerRequest r;
  r.image = image_and_args[0];
  r.args.assign(image_and_args.begin() + 1, image_and_args.end());
  r.name = f.name;
  r.env = TRY(read_env_flags(f.env, f.env_files));
  r.labels = key_values(f.labels);
  if (f.entrypoint_given)
    r.entrypoint =
        f.entrypoint.empty() ? std::vector<std::string>{} : std::vector<std::string>{f.entrypoint};
  r.user = f.user;
  r.working_dir = f.workdir;
  r.hostname = f.hostname;
  r.stop_signal = f.stop_signal;
  r.stop_timeout = f.stop_timeout;
  r.tty = f.tty;
  r.interactive = f.interactive;
  auto& h = r.host;
  h.auto_remove = f.auto_remove;
  h.read_only = f.read_only;
  h.privileged = f.privileged;
  h.init = f.init;
  h.network_mode = f.networks.empty() ? "none" : f.networks.front();
  for (size_t i = 1; i < f.networks.size(); ++i) h.more_networks.push_back({f.networks[i], "", {}});
  h.ipv4_address = f.ip;
  h.network_aliases = f.network_aliases;
  h.links = f.links;
  for (const auto& spec : f.publish) {
    auto bindings = engine::parse_publish(spec);
    if (!bindings)
      return fail(Errc::InvalidArgument, "invalid argument \"{}\" for \"-p, --publish\" flag: {}",
                  spec, bindings.error().message());
    h.port_bindings.insert(h.port_bindings.end(), bindings->begin(), bindings->end());
  }
  h.publish_all = f.publish_all;
  for (const auto& entry : f.add_hosts) {
    auto colon = entry.find(':');
    if (colon == std::string::npos || colon == 0)
      return fail(
          Errc::InvalidArgument,
          "invalid argument \"{}\" for \"--add-host\" flag: bad format for add-host: \"{}\"", entry,
          entry);
    std::string address = entry.substr(colon + 1);
    if (address != "host-gateway" && !net::Ipv4::parse(address))
      return fail(Errc::InvalidArgument,
                  "invalid argument \"{}\" for \"--add-host\" flag: invalid IP address in "
                  "add-host: \"{}\"",
                  entry, address);
  }
  h.extra_hosts = f.add_hosts;
  for (const auto& server : f.dns) {
    if (!net::Ipv4::parse(server))
      return fail(Errc::InvalidArgument,
                  "invalid argument \"{}\" for \"--dns\" flag: {} is not an ip address", server,
                  server);
  }
  h.dns = f.dns;
  h.dns_search = f.dns_search;
  h.dns_options = f.dns_options;
  if (h.network_mode == "host" && (!f.publish.empty() || f.publish_all))
    fmt::print(stderr, "WARNING: Published ports are discarded when using host network mode\n");
  for (const auto& spec : f.expose) {
    auto [ports, protocol] = TRY_CTX(engine::parse_port_key(spec), "--expose");
    for (uint16_t port : ports) h.exposed_ports.push_back(engine::port_key(port, protocol));
  }
  h.memory = TRY(parse_bytes("--memory", f.memory));
  if (!f.cpus.empty()) {
    double cpus = std::strtod(f.cpus.c_str(), nullptr);
    if (cpus <= 0)
      return fail(Errc::InvalidArgument, "invalid argument \"{}\" for \"--cpus\" flag", f.cpus);
    h.nano_cpus = static_cast<int64_t>(std::llround(cpus * 1e9));
  }
  h.pids_limit = f.pids_limit;
  for (const auto& u : f.ulimits) h.ulimits.push_back(TRY(parse_ulimit(u)));
  h.cap_add = f.cap_add;
  h.cap_drop = f.cap_drop;
  h.security_opt = f.security_opt;
  h.restart = TRY(parse_restart(f.restart));
  if (h.auto_remove && h.restart.name != "no") {
    return fail(Errc::InvalidArgument,
                "conflicting options: cannot specify both --restart and --rm");
  }
  for (const auto& v : f.volumes) h.mounts.push_back(TRY(parse_volume_flag(v)));
  for (const auto& m : f.mounts) h.mounts.push_back(TRY(parse_mount_flag(m)));
  for (const auto& t : f.tmpfs) h.mounts.push_back(TRY(parse_tmpfs_flag(t)));
  return r;
}

}  // namespace quai::cli
