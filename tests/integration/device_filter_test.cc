// The cgroup v2 device filter (eBPF) on a real cgroup2 hierarchy: a process in the cgroup
// may open only the devices the rules and the defaults allow.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "runtime/cgroup.h"
#include "runtime/device_filter.h"
#include "support.h"

namespace quai::test {
namespace {

// Opens each path from a child placed in `cgroup`; returns "path:ok" or "path:errno".
std::string open_from_cgroup(const std::string& cgroup, const std::vector<std::string>& paths) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::ofstream(cgroup + "/cgroup.procs") << ::getpid() << std::flush;
    std::string report;
    for (const auto& path : paths) {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      report += path + ":" + (fd >= 0 ? std::string("ok") : std::to_string(errno)) + " ";
      if (fd >= 0) ::close(fd);
    }
    [[maybe_unused]] auto n = ::write(fds[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[512];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  ::waitpid(pid, nullptr, 0);
  return out;
}

TEST(DeviceFilter, DeniesDevicesOutsideTheRules) {
  if (!is_root()) GTEST_SKIP() << "needs root";
  auto layout = runtime::CgroupLayout::detect();
  ASSERT_TRUE(layout);
  const runtime::Hierarchy* unified = layout->unified();
  if (unified == nullptr) GTEST_SKIP() << "no cgroup2 hierarchy";
  std::string dir = unified->mount_point + "/quai-it-devfilter-" + std::to_string(::getpid());
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  struct RemoveCgroup {
    std::string dir;
    ~RemoveCgroup() { ::rmdir(dir.c_str()); }
  } remove{dir};
  std::vector<runtime::DeviceRule> rules = {{false, 'a', std::nullopt, std::nullopt, "rwm"},
                                            {true, 'c', 1, 5, "r"}};
  auto attached = runtime::attach_device_filter(dir, rules);
  if (!attached && attached.error().sys_errno() == EPERM)
    GTEST_SKIP() << "BPF is not permitted here";
  ASSERT_TRUE(attached) << attached.error().to_string();
  std::string report = open_from_cgroup(dir, {"/dev/zero", "/dev/null", "/dev/kmsg"});
  EXPECT_NE(report.find("/dev/zero:ok"), std::string::npos) << report;  // allowed by the rule
  EXPECT_NE(report.find("/dev/null:ok"), std::string::npos) << report;  // a default device
  EXPECT_NE(report.find("/dev/kmsg:1 "), std::string::npos) << report;  // EPERM
  EXPECT_EQ(::rmdir(dir.c_str()), 0) << "the filter goes with the cgroup";
}

TEST(DeviceFilter, ARuleThatMatchesEverythingEndsTheProgram) {
  std::vector<runtime::DeviceRule> deny_all = {{false, 'a', std::nullopt, std::nullopt, "rwm"}};
  auto program = runtime::device_filter_program(deny_all);
  // The deny-all rule is checked last and is unconditional: no final deny after it.
  EXPECT_EQ(program[program.size() - 2].imm, 0);
  EXPECT_EQ(program.back().code, BPF_JMP | BPF_EXIT);
  std::vector<runtime::DeviceRule> one = {{true, 'c', 1, 5, "r"}};
  auto with_default_deny = runtime::device_filter_program(one);
  EXPECT_EQ(with_default_deny[with_default_deny.size() - 2].imm, 0) << "no match denies";
}

}  // namespace
}  // namespace quai::test
