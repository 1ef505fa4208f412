#include <sched.h>
#include <sys/mount.h>

#include "engine/internal/setup.h"
#include "engine/resolv_conf.h"
#include "engine/volumes.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::engine::internal {
namespace {

// Read-only, the upper dir becomes the top lower layer: no work dir is taken, so a
// container started meanwhile finds its upper and work dirs free.
std::string overlay_options(Engine& engine, const ContainerRecord& record, bool read_only) {
  std::string dir = engine.container_dir(record.id);
  std::string lower = read_only ? dir + "/upper" : "";
  // overlayfs lists the top layer first; the image lists the base first.
  for (auto it = record.layers.rbegin(); it != record.layers.rend(); ++it) {
    if (!lower.empty()) lower += ':';
    lower += engine.root() + "/layers/" + it->hex() + "/diff";
  }
  if (record.layers.empty()) lower += (lower.empty() ? "" : ":") + dir + "/empty";
  if (read_only) return "lowerdir=" + lower;
  return "lowerdir=" + lower + ",upperdir=" + dir + "/upper,workdir=" + dir + "/work";
}

std::vector<std::string> bind_options(const MountRequest& m) {
  std::vector<std::string> options = {"rbind", m.propagation.empty() ? "rprivate" : m.propagation};
  if (m.read_only) options.emplace_back("ro");
  return options;
}

}  // namespace

Status mount_container_root(Engine& engine, const ContainerRecord& record, bool read_only) {
  if (::unshare(CLONE_NEWNS) != 0) return fail_errno(errno, "unshare mount namespace");
  // Nothing mounted here may reach the host, and nothing the host mounts later matters.
  if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return fail_errno(errno, "make / private");
  }
  std::string dir = engine.container_dir(record.id);
  if (record.layers.empty()) TRY(sys::mkdir_p(dir + "/empty", 0755));
  std::string options = overlay_options(engine, record, read_only);
  unsigned long flags = read_only ? MS_RDONLY : 0;
  if (::mount("overlay", (dir + "/rootfs").c_str(), "overlay", flags, options.c_str()) != 0) {
    return fail_errno(errno, "mount overlay on \"{}/rootfs\"", dir);
  }
  return ok();
}

// The host's resolv.conf; behind systemd-resolved's stub (127.0.0.53, which a container
// cannot reach) the servers it forwards to, as Docker does.
Result<std::string> host_resolv_conf() {
  auto host = TRY(sys::read_file("/etc/resolv.conf"));
  if (host.find("nameserver 127.0.0.53") == std::string::npos) return host;
  auto upstream = sys::read_file("/run/systemd/resolve/resolv.conf");
  return upstream ? *upstream : host;
}

Status write_etc_files(Engine& engine, const ContainerRecord& record,
                       const std::vector<Endpoint>& endpoints) {
  std::string dir = engine.container_dir(record.id);
  // Written in place: only this monitor reads them, before the container starts.
  TRY(sys::write_file(dir + "/hostname", record.hostname + "\n", 0644));
  TRY(write_hosts_files(engine, record, endpoints, HostsUpdate::OwnAndAnnounce));
  auto host = host_resolv_conf();
  DnsSettings dns{record.dns, record.dns_search, record.dns_options};
  TRY(sys::write_file(dir + "/resolv.conf",
                      container_resolv_conf(host ? *host : "", dns, record.network_mode == "host"),
                      0644));
  return ok();
}

Result<std::string> find_init_binary() {
  for (const char* path : {"/usr/bin/tini-static", "/usr/bin/tini"}) {
    if (sys::path_exists(path)) return std::string(path);
  }
  return fail(Errc::NotFound, "--init: tini is not installed (/usr/bin/tini-static)");
}

Result<std::vector<ResolvedMount>> resolve_mounts(Engine& engine, const ContainerRecord& record,
                                                  int rootfs_fd) {
  std::vector<ResolvedMount> mounts;
  for (const auto& m : record.mounts) {
    if (m.type == "bind") {
      if (!sys::path_exists(m.source)) {
        return fail(Errc::InvalidArgument,
                    "invalid mount config for type \"bind\": bind source path does not exist: {}",
                    m.source);
      }
      mounts.push_back({"bind", m.source, m.target, bind_options(m)});
    } else if (m.type == "volume") {
      auto volume = TRY(ensure_volume(engine, m.source));
      if (!m.no_copy) TRY(populate_volume(engine, volume, rootfs_fd, m.target));
      mounts.push_back({"bind", volume.data_path, m.target, bind_options(m)});
    } else if (m.type == "tmpfs") {
      std::vector<std::string> options = {"nosuid", "nodev", "noexec"};
      if (m.tmpfs_size > 0) options.push_back(fmt::format("size={}", m.tmpfs_size));
      if (m.tmpfs_mode != 0) options.push_back(fmt::format("mode={:o}", m.tmpfs_mode));
      if (m.read_only) options.emplace_back("ro");
      mounts.push_back({"tmpfs", "tmpfs", m.target, options});
    } else {
      return fail(Errc::InvalidArgument, "mount type \"{}\" is not supported", m.type);
    }
  }
  return mounts;
}

}  // namespace quai::engine::internal
