#include "runtime/device_filter.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "sys/fd.h"

namespace quai::runtime {
namespace {

// Registers: r1 = context, r2 = device type, r3 = requested access, r4 = major, r5 = minor.
constexpr uint8_t kCtx = 1, kType = 2, kAccess = 3, kMajor = 4, kMinor = 5, kScratch = 6;

struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  struct bpf_insn i = {};
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

struct bpf_insn load_word(uint8_t dst, int16_t offset) {
  return insn(BPF_LDX | BPF_MEM | BPF_W, dst, kCtx, offset, 0);
}
struct bpf_insn alu_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm);
}
struct bpf_insn move_reg(uint8_t dst, uint8_t src) {
  return insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0);
}
struct bpf_insn jump_imm(uint8_t op, uint8_t dst, int32_t imm) {
  return insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}
struct bpf_insn exit_insn() {
  return insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int32_t access_bits(const std::string& access) {
  int32_t bits = 0;
  for (char c : access) {
    if (c == 'r') bits |= BPF_DEVCG_ACC_READ;
    if (c == 'w') bits |= BPF_DEVCG_ACC_WRITE;
    if (c == 'm') bits |= BPF_DEVCG_ACC_MKNOD;
  }
  return bits;
}

// One rule: every test that fails jumps past the block; the block ends in "return verdict".
std::vector<struct bpf_insn> rule_block(const DeviceRule& rule) {
  std::vector<struct bpf_insn> block;
  if (rule.type != 'a') {
    block.push_back(
        jump_imm(BPF_JNE, kType, rule.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  }
  int32_t bits = access_bits(rule.access);
  if (bits != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)) {
    block.push_back(move_reg(kScratch, kAccess));
    if (rule.allow) {
      // An allow rule covers a request only if it grants every requested bit.
      block.push_back(alu_imm(BPF_AND, kScratch, ~bits));
      block.push_back(jump_imm(BPF_JNE, kScratch, 0));
    } else {
      // A deny rule applies as soon as it names any requested bit.
      block.push_back(alu_imm(BPF_AND, kScratch, bits));
      block.push_back(jump_imm(BPF_JEQ, kScratch, 0));
    }
  }
  if (rule.type != 'a' && rule.major && *rule.major >= 0) {
    block.push_back(jump_imm(BPF_JNE, kMajor, static_cast<int32_t>(*rule.major)));
  }
  if (rule.type != 'a' && rule.minor && *rule.minor >= 0) {
    block.push_back(jump_imm(BPF_JNE, kMinor, static_cast<int32_t>(*rule.minor)));
  }
  block.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, rule.allow ? 1 : 0));
  block.push_back(exit_insn());
  // Point every conditional jump at the first instruction after the block.
  for (size_t i = 0; i < block.size(); ++i) {
    if (BPF_CLASS(block[i].code) == BPF_JMP && BPF_OP(block[i].code) != BPF_EXIT) {
      block[i].off = static_cast<int16_t>(block.size() - i - 1);
    }
  }
  return block;
}

long bpf(int command, union bpf_attr* attr) {
  return ::syscall(SYS_bpf, command, attr, sizeof *attr);
}

}  // namespace

const std::vector<DeviceRule>& default_allowed_devices() {
  static const std::vector<DeviceRule> rules = {
      {true, 'c', std::nullopt, std::nullopt, "m"},
      {true, 'b', std::nullopt, std::nullopt, "m"},
      {true, 'c', 1, 3, "rwm"},
      {true, 'c', 1, 5, "rwm"},
      {true, 'c', 1, 7, "rwm"},
      {true, 'c', 5, 0, "rwm"},
      {true, 'c', 1, 8, "rwm"},
      {true, 'c', 1, 9, "rwm"},
      {true, 'c', 5, 1, "rwm"},
      {true, 'c', 5, 2, "rwm"},
      {true, 'c', 136, std::nullopt, "rwm"},
  };
  return rules;
}

std::vector<struct bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules) {
  std::vector<struct bpf_insn> program = {
      load_word(kType, offsetof(struct bpf_cgroup_dev_ctx, access_type)),
      alu_imm(BPF_AND, kType, 0xffff),
      load_word(kAccess, offsetof(struct bpf_cgroup_dev_ctx, access_type)),
      alu_imm(BPF_RSH, kAccess, 16),
      load_word(kMajor, offsetof(struct bpf_cgroup_dev_ctx, major)),
      load_word(kMinor, offsetof(struct bpf_cgroup_dev_ctx, minor)),
  };
  std::vector<DeviceRule> all = rules;
  all.insert(all.end(), default_allowed_devices().begin(), default_allowed_devices().end());
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    auto block = rule_block(*it);
    program.insert(program.end(), block.begin(), block.end());
    // A rule that matches everything ends the program: the verifier refuses code after it.
    if (block.size() == 2) return program;
  }
  program.push_back(insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
  program.push_back(exit_insn());
  return program;
}

Status attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules) {
  auto program = device_filter_program(rules);
  static const char kLicense[] = "Apache-2.0";
  union bpf_attr load = {};
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(program.data());
  load.insn_cnt = static_cast<uint32_t>(program.size());
  load.license = reinterpret_cast<uint64_t>(kLicense);
  sys::UniqueFd prog(static_cast<int>(bpf(BPF_PROG_LOAD, &load)));
  if (!prog && errno == EINVAL) {
    // Load again with the verifier's log: it says which instruction it refused.
    std::string log(16384, '\0');
    load.log_level = 1;
    load.log_buf = reinterpret_cast<uint64_t>(log.data());
    load.log_size = static_cast<uint32_t>(log.size());
    prog.reset(static_cast<int>(bpf(BPF_PROG_LOAD, &load)));
    if (!prog) {
      log.resize(std::strlen(log.c_str()));
      return fail(Errc::Internal,
                  "load the device filter for cgroup \"{}\": the verifier refused it: {}",
                  cgroup_dir, log.substr(log.size() > 400 ? log.size() - 400 : 0));
    }
  }
  if (!prog) return fail_errno(errno, "load the device filter for cgroup \"{}\"", cgroup_dir);
  sys::UniqueFd dir(::open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return fail_errno(errno, "open cgroup \"{}\"", cgroup_dir);
  union bpf_attr attach = {};
  attach.target_fd = static_cast<uint32_t>(dir.get());
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attach) != 0) {
    return fail_errno(errno, "attach the device filter to cgroup \"{}\"", cgroup_dir);
  }
  return ok();
}

}  // namespace quai::runtime
