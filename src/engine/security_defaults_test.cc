#include "engine/security_defaults.h"

#include <linux/sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "engine/seccomp_test_support.h"
#include "runtime/capabilities.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

std::vector<std::string> with(std::vector<std::string> caps, const std::string& extra) {
  caps.push_back(extra);
  return caps;
}

// Names allowed with no argument filter.
std::set<std::string> unconditional(const Json& profile) {
  std::set<std::string> out;
  for (const auto& rule : profile["syscalls"]) {
    if (rule["action"] == "SCMP_ACT_ALLOW" && !rule.contains("args")) {
      for (const auto& name : rule["names"]) out.insert(name.get<std::string>());
    }
  }
  return out;
}

std::set<std::string> mentioned(const Json& profile) {
  std::set<std::string> out;
  for (const auto& rule : profile["syscalls"]) {
    for (const auto& name : rule["names"]) out.insert(name.get<std::string>());
  }
  return out;
}

const Json* rule_for(const Json& profile, const std::string& name) {
  for (const auto& rule : profile["syscalls"]) {
    for (const auto& n : rule["names"]) {
      if (n == name) return &rule;
    }
  }
  return nullptr;
}

TEST(DefaultCapabilities, AreDockersFourteen) {
  auto caps = default_capabilities();
  EXPECT_EQ(caps.size(), 14u);
  for (const auto& cap : caps) EXPECT_TRUE(runtime::capability_number(cap)) << cap;
  EXPECT_EQ(std::set<std::string>(caps.begin(), caps.end()).count("CAP_SYS_ADMIN"), 0u);
}

TEST(CapabilityChanges, AddAllGivesEveryCapabilityLessTheDrops) {
  auto caps = apply_capability_changes(default_capabilities(), {"ALL"}, {"net_raw"});
  ASSERT_TRUE(caps) << caps.error().to_string();
  auto all = runtime::known_capabilities();
  EXPECT_EQ(caps->size(), all.size() - 1);
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_NET_RAW"), 0);
  EXPECT_EQ(std::count(caps->begin(), caps->end(), "CAP_SYS_ADMIN"), 1);
}

TEST(CapabilityChanges, DropAllThenAddOne) {
  auto caps = apply_capability_changes(default_capabilities(), {"net_admin"}, {"all"});
  ASSERT_TRUE(caps) << caps.error().to_string();
  EXPECT_EQ(*caps, std::vector<std::string>{"CAP_NET_ADMIN"});
}

TEST(CapabilityChanges, DropsThenAddsInCapabilityOrderWithoutDuplicates) {
  auto caps = apply_capability_changes({"CAP_KILL", "CAP_CHOWN", "CAP_NET_RAW"},
                                       {"Cap_Sys_Admin", "KILL", "net_raw"}, {"CAP_NET_RAW"});
  ASSERT_TRUE(caps) << caps.error().to_string();
  // An add wins over a drop of the same capability.
  EXPECT_EQ(*caps,
            (std::vector<std::string>{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW", "CAP_SYS_ADMIN"}));
}

TEST(CapabilityChanges, UnknownNameIsNamedWithItsFlag) {
  auto added = apply_capability_changes(default_capabilities(), {"CAP_FLY"}, {});
  ASSERT_FALSE(added);
  EXPECT_EQ(added.error().code(), Errc::InvalidArgument);
  EXPECT_EQ(added.error().to_string(), "--cap-add: unknown capability \"CAP_FLY\"");
  auto dropped = apply_capability_changes(default_capabilities(), {}, {"sys_nothing"});
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().to_string(), "--cap-drop: unknown capability \"CAP_SYS_NOTHING\"");
}

TEST(SecurityPaths, MaskKernelStateAndProtectSysctls) {
  auto masked = default_masked_paths();
  auto readonly = default_readonly_paths();
  for (const char* path : {"/proc/kcore", "/proc/keys", "/sys/firmware"}) {
    EXPECT_EQ(std::count(masked.begin(), masked.end(), path), 1) << path;
  }
  for (const char* path : {"/proc/sys", "/proc/sysrq-trigger"}) {
    EXPECT_EQ(std::count(readonly.begin(), readonly.end(), path), 1) << path;
  }
}

TEST(DefaultSeccomp, ParsesAndCompilesWithTheRuntime) {
  char templ[] = "/tmp/quai-engine-seccomp.XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  for (const auto& caps : {default_capabilities(), runtime::known_capabilities()}) {
    auto program = testing::compile_profile(default_seccomp_profile(caps), templ);
    ASSERT_TRUE(program) << program.error().to_string();
    EXPECT_GT(program->bpf.size(), 0u);
  }
  ASSERT_TRUE(sys::remove_tree(templ));
}

TEST(DefaultSeccomp, IsAnEpermAllowlistForTheThreeX86Abis) {
  Json profile = default_seccomp_profile(default_capabilities());
  EXPECT_EQ(profile["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(profile["defaultErrnoRet"], EPERM);
  EXPECT_EQ(profile["architectures"],
            Json::array({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
}

TEST(DefaultSeccomp, CoversWhatCurrentLibcsAndRuntimesCall) {
  auto allowed = unconditional(default_seccomp_profile(default_capabilities()));
  for (const char* name : {"rseq",
                           "statx",
                           "openat2",
                           "faccessat2",
                           "close_range",
                           "pidfd_open",
                           "pidfd_send_signal",
                           "epoll_pwait2",
                           "futex_waitv",
                           "landlock_create_ruleset",
                           "landlock_restrict_self",
                           "execveat",
                           "getrandom",
                           "membarrier",
                           "copy_file_range",
                           "prlimit64",
                           "sched_getaffinity",
                           "set_robust_list",
                           "sigaltstack",
                           "memfd_create",
                           "socketcall",
                           "chroot",
                           "mknodat"}) {
    EXPECT_TRUE(allowed.contains(name)) << name;
  }
}

struct Gate {
  const char* capability;
  const char* syscall;
};

TEST(DefaultSeccomp, CapabilityGatedSyscallsNeedTheirCapability) {
  const Gate gates[] = {
      {"CAP_SYS_ADMIN", "mount"},
      {"CAP_SYS_ADMIN", "setns"},
      {"sys_admin", "unshare"},
      {"CAP_SYS_ADMIN", "fsopen"},
      {"CAP_SYS_BOOT", "reboot"},
      {"CAP_SYS_MODULE", "finit_module"},
      {"CAP_SYS_TIME", "clock_settime"},
      {"CAP_SYS_NICE", "mbind"},
      {"CAP_SYS_PTRACE", "kcmp"},
      {"CAP_SYS_PTRACE", "userfaultfd"},
      {"CAP_SYS_RAWIO", "iopl"},
      {"CAP_SYS_PACCT", "acct"},
      {"CAP_SYSLOG", "syslog"},
      {"CAP_SYS_TTY_CONFIG", "vhangup"},
      {"CAP_DAC_READ_SEARCH", "open_by_handle_at"},
      {"CAP_BPF", "bpf"},
      {"CAP_PERFMON", "perf_event_open"},
  };
  auto without = unconditional(default_seccomp_profile(default_capabilities()));
  for (const auto& gate : gates) {
    auto caps = with(default_capabilities(), gate.capability);
    EXPECT_FALSE(without.contains(gate.syscall)) << gate.syscall;
    EXPECT_TRUE(unconditional(default_seccomp_profile(caps)).contains(gate.syscall))
        << gate.syscall << " with " << gate.capability;
  }
}

TEST(DefaultSeccomp, CloneIsFilteredAndClone3FailsWithEnosysWithoutSysAdmin) {
  Json profile = default_seccomp_profile(default_capabilities());
  const Json* clone = rule_for(profile, "clone");
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ((*clone)["args"][0]["op"], "SCMP_CMP_MASKED_EQ");
  EXPECT_NE((*clone)["args"][0]["value"].get<uint64_t>() & CLONE_NEWUSER, 0u);
  const Json* clone3 = rule_for(profile, "clone3");
  ASSERT_NE(clone3, nullptr);
  EXPECT_EQ((*clone3)["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ((*clone3)["errnoRet"], ENOSYS);

  Json admin = default_seccomp_profile(with(default_capabilities(), "CAP_SYS_ADMIN"));
  EXPECT_TRUE(unconditional(admin).contains("clone"));
  EXPECT_TRUE(unconditional(admin).contains("clone3"));
  EXPECT_EQ(rule_for(admin, "clone3")->value("action", ""), "SCMP_ACT_ALLOW");
}

TEST(DefaultSeccomp, NeverAllowedStayOutWithEveryCapability) {
  Json profile = default_seccomp_profile(runtime::known_capabilities());
  auto named = mentioned(profile);
  for (auto name : never_allowed_syscalls()) {
    EXPECT_FALSE(named.contains(std::string(name))) << name;
  }
}

// libseccomp refuses a syscall with both a filtered and an unfiltered rule (EEXIST).
TEST(DefaultSeccomp, NoSyscallIsBothFilteredAndUnfiltered) {
  for (const auto& caps : {default_capabilities(), runtime::known_capabilities()}) {
    Json profile = default_seccomp_profile(caps);
    auto plain = unconditional(profile);
    for (const auto& rule : profile["syscalls"]) {
      if (!rule.contains("args") && rule["action"] == "SCMP_ACT_ALLOW") continue;
      EXPECT_FALSE(plain.contains(rule["names"][0].get<std::string>())) << rule.dump();
    }
  }
}

// The errno each probe got (0: success) in a child that loaded the default filter; the
// child's exit status carries it, 99 when the filter could not be loaded.
std::map<std::string, int> probe_under_default_filter() {
  auto program = testing::compile_profile(default_seccomp_profile(default_capabilities()));
  if (!program) {
    ADD_FAILURE() << program.error().to_string();
    return {};
  }
  const std::pair<const char*, long (*)()> probes[] = {
      {"getpid", [] { return ::syscall(SYS_getpid); }},
      {"keyctl", [] { return ::syscall(SYS_keyctl, 0x7fff, 0, 0, 0, 0); }},
      {"clone3", [] { return ::syscall(SYS_clone3, nullptr, 0); }},
      {"unshare_user", [] { return ::syscall(SYS_unshare, CLONE_NEWUSER); }},
      {"io_uring_setup", [] { return ::syscall(SYS_io_uring_setup, 0, nullptr); }},
      {"socket_vsock", [] { return ::syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0); }},
      {"socket_vsock_high_bits",
       [] { return ::syscall(SYS_socket, 0x100000000L | AF_VSOCK, SOCK_STREAM, 0); }},
      {"socket_unix", [] { return ::syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0); }},
      {"personality_query", [] { return ::syscall(SYS_personality, 0xffffffffUL); }},
      {"personality_no_aslr", [] { return ::syscall(SYS_personality, ADDR_NO_RANDOMIZE); }},
  };
  std::map<std::string, int> results;
  for (const auto& [name, probe] : probes) {
    pid_t pid = ::fork();
    if (pid == 0) {
      ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      if (!runtime::load_seccomp(*program)) ::_exit(99);
      int err = probe() < 0 ? errno : 0;
      ::_exit(err);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    results[name] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return results;
}

TEST(DefaultSeccomp, LoadedFilterRefusesWhatItShould) {
  auto results = probe_under_default_filter();
  EXPECT_EQ(results["getpid"], 0);
  EXPECT_EQ(results["keyctl"], EPERM);
  EXPECT_EQ(results["clone3"], ENOSYS);
  EXPECT_EQ(results["unshare_user"], EPERM);
  EXPECT_EQ(results["io_uring_setup"], EPERM);
  EXPECT_EQ(results["socket_vsock"], EPERM);
  EXPECT_EQ(results["socket_vsock_high_bits"], EPERM);
  EXPECT_EQ(results["socket_unix"], 0);
  EXPECT_EQ(results["personality_query"], 0);
  EXPECT_EQ(results["personality_no_aslr"], EPERM);
}

}  // namespace
}  // namespace quai::engine
