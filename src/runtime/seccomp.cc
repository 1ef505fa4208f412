#include "runtime/seccomp.h"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <functional>

#include "base/log.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::runtime {
namespace {

struct NamedValue {
  const char* name;
  uint32_t value;
};

constexpr NamedValue kActions[] = {
    {"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
    {"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
    {"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0)},
    {"SCMP_ACT_TRACE", SCMP_ACT_TRACE(0)},
    {"SCMP_ACT_ALLOW", SCMP_ACT_ALLOW},
    {"SCMP_ACT_LOG", SCMP_ACT_LOG},
};

constexpr NamedValue kOperators[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

constexpr NamedValue kArchitectures[] = {
    {"SCMP_ARCH_X86", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
    {"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

constexpr NamedValue kFlags[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

template <size_t N>
const NamedValue* find(const NamedValue (&table)[N], std::string_view name) {
  for (const auto& entry : table) {
    if (name == entry.name) return &entry;
  }
  return nullptr;
}

template <size_t N>
std::vector<std::string> names(const NamedValue (&table)[N]) {
  std::vector<std::string> out;
  for (const auto& entry : table) out.emplace_back(entry.name);
  return out;
}

// ERRNO and TRACE carry a value; the spec's errnoRet defaults to EPERM.
Result<uint32_t> action_value(const std::string& name, std::optional<uint32_t> errno_ret) {
  const NamedValue* action = find(kActions, name);
  if (action == nullptr) {
    if (name == "SCMP_ACT_NOTIFY")
      return fail(Errc::Unsupported, "action SCMP_ACT_NOTIFY is not supported");
    return fail(Errc::InvalidArgument, "unknown action \"{}\"", name);
  }
  if (name == "SCMP_ACT_ERRNO") return SCMP_ACT_ERRNO(errno_ret.value_or(EPERM));
  if (name == "SCMP_ACT_TRACE") return SCMP_ACT_TRACE(errno_ret.value_or(EPERM));
  return action->value;
}

struct FilterContext {
  scmp_filter_ctx ctx;
  ~FilterContext() { seccomp_release(ctx); }
};

Status add_rule(scmp_filter_ctx ctx, const SeccompRule& rule, uint32_t default_action,
                size_t index) {
  uint32_t action = TRY_CTX(action_value(rule.action, rule.errno_ret),
                            "linux.seccomp.syscalls[{}].action", index);
  // libseccomp refuses a rule whose action equals the default one; it is a no-op anyway.
  if (action == default_action) return ok();
  std::vector<scmp_arg_cmp> comparisons;
  for (const auto& arg : rule.args) {
    const NamedValue* op = find(kOperators, arg.op);
    comparisons.push_back(
        {arg.index, static_cast<scmp_compare>(op->value), arg.value, arg.value_two});
  }
  for (const auto& name : rule.names) {
    int number = seccomp_syscall_resolve_name(name.c_str());
    if (number == __NR_SCMP_ERROR) {
      log::debug("seccomp: skipping unknown syscall \"{}\"", name);
      continue;
    }
    int rc = seccomp_rule_add_array(ctx, action, number, static_cast<unsigned>(comparisons.size()),
                                    comparisons.data());
    if (rc != 0) {
      return fail_errno(-rc, "linux.seccomp.syscalls[{}]: add rule for \"{}\"", index, name);
    }
  }
  return ok();
}

Result<std::string> export_bpf(scmp_filter_ctx ctx) {
  sys::UniqueFd memfd(::memfd_create("quai-seccomp", MFD_CLOEXEC));
  if (!memfd) return fail_errno(errno, "memfd_create");
  int rc = seccomp_export_bpf(ctx, memfd.get());
  if (rc != 0) return fail_errno(-rc, "export seccomp program");
  ::lseek(memfd.get(), 0, SEEK_SET);
  return sys::read_all(memfd.get());
}

Result<std::string> compile(const Seccomp& seccomp) {
  uint32_t default_action = TRY_CTX(action_value(seccomp.default_action, seccomp.default_errno_ret),
                                    "linux.seccomp.defaultAction");
  FilterContext filter{seccomp_init(default_action)};
  if (filter.ctx == nullptr) return fail(Errc::Internal, "seccomp_init failed");
  // The filter is installed by us with no_new_privs or CAP_SYS_ADMIN already in place.
  seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_NNP, 0);
  // A binary tree of syscall numbers instead of a list: the kernel runs the filter once per
  // syscall number and architecture when it is loaded (to build its allow cache), so a
  // 1000-instruction list cost 1.2 ms per container start, and every syscall pays for it too.
  seccomp_attr_set(filter.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const auto& arch : seccomp.architectures) {
    int rc = seccomp_arch_add(filter.ctx, find(kArchitectures, arch)->value);
    if (rc != 0 && rc != -EEXIST)
      return fail_errno(-rc, "linux.seccomp.architectures: add {}", arch);
  }
  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    TRY(add_rule(filter.ctx, seccomp.syscalls[i], default_action, i));
  }
  return export_bpf(filter.ctx);
}

}  // namespace

Status validate_seccomp(const Seccomp& seccomp) {
  TRY_CTX(action_value(seccomp.default_action, seccomp.default_errno_ret),
          "linux.seccomp.defaultAction");
  for (size_t i = 0; i < seccomp.architectures.size(); ++i) {
    if (find(kArchitectures, seccomp.architectures[i]) == nullptr) {
      return fail(Errc::InvalidArgument,
                  "linux.seccomp.architectures[{}]: unknown architecture \"{}\"", i,
                  seccomp.architectures[i]);
    }
  }
  for (size_t i = 0; i < seccomp.flags.size(); ++i) {
    if (find(kFlags, seccomp.flags[i]) == nullptr) {
      return fail(Errc::InvalidArgument, "linux.seccomp.flags[{}]: unknown flag \"{}\"", i,
                  seccomp.flags[i]);
    }
  }
  for (size_t i = 0; i < seccomp.syscalls.size(); ++i) {
    const auto& rule = seccomp.syscalls[i];
    TRY_CTX(action_value(rule.action, rule.errno_ret), "linux.seccomp.syscalls[{}].action", i);
    for (size_t a = 0; a < rule.args.size(); ++a) {
      if (find(kOperators, rule.args[a].op) == nullptr) {
        return fail(Errc::InvalidArgument,
                    "linux.seccomp.syscalls[{}].args[{}].op: unknown operator \"{}\"", i, a,
                    rule.args[a].op);
      }
      if (rule.args[a].index >= 6) {
        return fail(Errc::InvalidArgument,
                    "linux.seccomp.syscalls[{}].args[{}].index: must be below 6", i, a);
      }
    }
  }
  if (!seccomp.listener_path.empty()) {
    return fail(Errc::Unsupported, "linux.seccomp.listenerPath: seccomp notify is not supported");
  }
  return ok();
}

Result<SeccompProgram> compile_seccomp(const Seccomp& seccomp, const std::string& cache_dir) {
  SeccompProgram program;
  for (const auto& flag : seccomp.flags) program.flags |= find(kFlags, flag)->value;
  // The key covers every input of the compilation, including libseccomp's version.
  const scmp_version* version = seccomp_version();
  Json key = {
      {"default", seccomp.default_action},
      {"errno", seccomp.default_errno_ret.value_or(EPERM)},
      {"arch", seccomp.architectures},
      {"optimize", 2},
      {"libseccomp", fmt::format("{}.{}.{}", version->major, version->minor, version->micro)}};
  for (const auto& rule : seccomp.syscalls) {
    Json args = Json::array();
    for (const auto& arg : rule.args) args.push_back({arg.index, arg.value, arg.value_two, arg.op});
    key["rules"].push_back({rule.names, rule.action, rule.errno_ret.value_or(EPERM), args});
  }
  // A cache file holds the key, a NUL, then the program; the name is only a hash of the
  // key, so the key is compared in full and a collision is just a miss.
  std::string key_text = key.dump();
  std::string cache_file;
  if (!cache_dir.empty()) {
    cache_file = fmt::format("{}/{:016x}.bpf", cache_dir, std::hash<std::string>{}(key_text));
    auto cached = sys::read_file(cache_file);
    if (cached && cached->size() > key_text.size() &&
        cached->compare(0, key_text.size(), key_text) == 0 && (*cached)[key_text.size()] == '\0') {
      std::string bpf = cached->substr(key_text.size() + 1);
      if (!bpf.empty() && bpf.size() % sizeof(struct sock_filter) == 0) {
        program.bpf = std::move(bpf);
        return program;
      }
    }
  }
  program.bpf = TRY(compile(seccomp));
  if (!cache_file.empty() && sys::mkdir_p(cache_dir, 0700)) {
    std::string entry = key_text + '\0' + program.bpf;
    if (auto written = sys::write_file_atomic(cache_file, entry, 0600); !written) {
      log::debug("seccomp cache: {}", written.error().to_string());
    }
  }
  return program;
}

Status load_seccomp(const SeccompProgram& program) {
  struct sock_fprog fprog = {};
  fprog.len = static_cast<unsigned short>(program.bpf.size() / sizeof(struct sock_filter));
  fprog.filter = reinterpret_cast<struct sock_filter*>(const_cast<char*>(program.bpf.data()));
  if (::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, program.flags, &fprog) != 0) {
    return fail_errno(errno, "load seccomp filter");
  }
  return ok();
}

std::vector<std::string> seccomp_actions() {
  auto out = names(kActions);
  return out;
}
std::vector<std::string> seccomp_operators() { return names(kOperators); }
std::vector<std::string> seccomp_architectures() { return names(kArchitectures); }
std::vector<std::string> seccomp_flags() { return names(kFlags); }

}  // namespace quai::runtime
