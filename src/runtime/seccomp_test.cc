#include <linux/filter.h>
#include <unistd.h>

#include <cstdlib>

#include <gtest/gtest.h>

#include "runtime/seccomp.h"
#include "sys/fs.h"

namespace quai::runtime {
namespace {

Seccomp errno_on_getcwd() {
  Seccomp seccomp;
  seccomp.default_action = "SCMP_ACT_ALLOW";
  seccomp.architectures = {"SCMP_ARCH_X86_64"};
  SeccompRule rule;
  rule.names = {"getcwd", "no_such_syscall_here"};
  rule.action = "SCMP_ACT_ERRNO";
  rule.errno_ret = 1;
  seccomp.syscalls.push_back(rule);
  return seccomp;
}

TEST(Seccomp, ValidationNamesTheField) {
  Seccomp seccomp = errno_on_getcwd();
  seccomp.syscalls[0].action = "SCMP_ACT_EXPLODE";
  auto valid = validate_seccomp(seccomp);
  ASSERT_FALSE(valid);
  EXPECT_EQ(valid.error().to_string(),
            "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_EXPLODE\"");
  seccomp = errno_on_getcwd();
  seccomp.syscalls[0].args.push_back({7, 0, 0, "SCMP_CMP_EQ"});
  EXPECT_EQ(validate_seccomp(seccomp).error().to_string(),
            "linux.seccomp.syscalls[0].args[0].index: must be below 6");
  seccomp = errno_on_getcwd();
  seccomp.architectures = {"SCMP_ARCH_Z80"};
  EXPECT_FALSE(validate_seccomp(seccomp));
}

TEST(Seccomp, CompilesOnceThenReadsTheCache) {
  char templ[] = "/tmp/quai-seccomp-cache.XXXXXX";
  ASSERT_NE(::mkdtemp(templ), nullptr);
  std::string cache = templ;
  Seccomp seccomp = errno_on_getcwd();
  ASSERT_TRUE(validate_seccomp(seccomp));
  auto first = compile_seccomp(seccomp, cache);
  ASSERT_TRUE(first) << first.error().to_string();
  EXPECT_GT(first->bpf.size(), 0u);
  EXPECT_EQ(first->bpf.size() % sizeof(struct sock_filter), 0u);
  auto second = compile_seccomp(seccomp, cache);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->bpf, second->bpf);
  seccomp.syscalls[0].errno_ret = 2;
  auto different = compile_seccomp(seccomp, cache);
  ASSERT_TRUE(different);
  EXPECT_NE(first->bpf, different->bpf) << "a changed profile must not hit the old cache entry";
  ASSERT_TRUE(sys::remove_tree(cache));
}

}  // namespace
}  // namespace quai::runtime
