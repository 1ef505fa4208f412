// `quai image bootstrap`: base images made from what the host already has.

#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/strings.h"
#include "image/importer.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

constexpr const char* kBusybox = "/bin/busybox";

// Runs a command and returns its standard output; errors say which command failed.
Result<std::string> command_output(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return fail_errno(errno, "run {}", command);
  std::string out;
  char buffer[4096];
  while (size_t n = ::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  int status = ::pclose(pipe);
  if (status != 0) return fail(Errc::Io, "{} failed (status {})", command, WEXITSTATUS(status));
  return out;
}

Status make_busybox_tree(const std::string& root) {
  for (const char* dir : {"bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "tmp",
                          "root", "var", "run", "home"}) {
    TRY(sys::mkdir_p(root + "/" + dir, 0755));
  }
  ::chmod((root + "/tmp").c_str(), 01777);
  auto binary = TRY(sys::read_file(kBusybox));
  TRY(sys::write_file_atomic(root + "/bin/busybox", binary, 0755, sys::Durability::Volatile));
  auto applets = TRY(command_output(std::string(kBusybox) + " --list-full"));
  for (const auto& applet : split(applets, '\n')) {
    if (applet.empty() || applet == "bin/busybox" || applet.find("..") != std::string::npos)
      continue;
    std::string path = root + "/" + applet;
    TRY(sys::mkdir_p(path.substr(0, path.rfind('/')), 0755));
    if (::symlink("/bin/busybox", path.c_str()) != 0 && errno != EEXIST) {
      return fail_errno(errno, "symlink \"{}\"", path);
    }
  }
  auto volatile_write = [](const std::string& path, std::string_view text) {
    return sys::write_file_atomic(path, text, 0644, sys::Durability::Volatile);
  };
  TRY(volatile_write(
      root + "/etc/passwd",
      "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"));
  TRY(volatile_write(root + "/etc/group", "root:x:0:\nnogroup:x:65534:\n"));
  return ok();
}

}  // namespace

Result<ImageRecord> bootstrap_busybox(ImageStore& store, const std::string& name) {
  if (::access(kBusybox, X_OK) != 0) {
    return fail(Errc::NotFound, "bootstrap busybox: {} not found (apt-get install busybox-static)",
                kBusybox);
  }
  auto work = TRY(store.temp().make("bootstrap"));
  TRY_CTX(make_busybox_tree(work.path() + "/rootfs"), "bootstrap busybox");
  ImportOptions options;
  options.names = {name};
  options.changes = {"CMD [\"sh\"]"};
  options.created_by = "quai image bootstrap busybox";
  return import_directory(store, work.path() + "/rootfs", options);
}

Result<ImageRecord> bootstrap_debian(ImageStore& store, const std::string& name,
                                     const std::string& suite) {
  if (::access("/usr/sbin/debootstrap", X_OK) != 0) {
    return fail(Errc::NotFound,
                "bootstrap debian: debootstrap not found (apt-get install debootstrap)");
  }
  auto mirror = TRY(command_output(
      "grep -hoE '^(deb|URIs:) +(\\[[^]]*\\] +)?https?://[^ ]+' /etc/apt/sources.list "
      "/etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null | "
      "grep -oE 'https?://[^ ]+' | grep -v security | head -n1 || true"));
  std::string url(trim(mirror));
  if (url.empty()) url = "http://deb.debian.org/debian";
  auto work = TRY(store.temp().make("bootstrap"));
  std::string rootfs = work.path() + "/rootfs";
  TRY_CTX(command_output(
              fmt::format("debootstrap --variant=minbase {} '{}' '{}' >&2", suite, rootfs, url)),
          "bootstrap debian");
  // What debootstrap leaves that an image should not carry.
  (void)sys::remove_tree(rootfs + "/var/cache/apt/archives");
  TRY(sys::mkdir_p(rootfs + "/var/cache/apt/archives/partial", 0755));
  ImportOptions options;
  options.names = {name};
  options.changes = {"CMD [\"bash\"]"};
  options.created_by = "quai image bootstrap debian " + suite;
  return import_directory(store, rootfs, options);
}

}  // namespace quai::image
