#include "runtime/features.h"

#include "runtime/capabilities.h"
#include "runtime/seccomp.h"

namespace quai::runtime {

Json features_json() {
  return Json{
      {"ociVersionMin", "1.0.0"},
      {"ociVersionMax", "1.3.0"},
      {"hooks",
       {"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}},
      {"mountOptions", {"async",      "atime",         "bind",       "defaults", "dev",
                        "diratime",   "dirsync",       "exec",       "loud",     "mand",
                        "noatime",    "nodev",         "nodiratime", "noexec",   "nomand",
                        "norelatime", "nostrictatime", "nosuid",     "private",  "rbind",
                        "relatime",   "remount",       "ro",         "rprivate", "rshared",
                        "rslave",     "runbindable",   "rw",         "shared",   "silent",
                        "slave",      "strictatime",   "suid",       "sync",     "unbindable"}},
      {"linux",
       {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
        {"capabilities", known_capabilities()},
        {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
        {"seccomp",
         {{"enabled", true},
          {"actions", seccomp_actions()},
          {"operators", seccomp_operators()},
          {"archs", seccomp_architectures()}}},
        {"apparmor", {{"enabled", false}}},
        {"selinux", {{"enabled", false}}}}},
      {"annotations", {{"org.opencontainers.runc.checkpoint.enabled", "false"}}},
  };
}

}  // namespace quai::runtime
