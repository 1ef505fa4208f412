#pragma once
// Device rules on cgroup v2: there is no devices.allow file, so the rules become an eBPF
// program of type BPF_PROG_TYPE_CGROUP_DEVICE attached to the container's cgroup.

#include <linux/bpf.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "runtime/spec.h"

namespace quai::runtime {

/// The program for `rules` followed by the devices every container may use. Rules are
/// checked last to first and the first match decides; no match denies.
std::vector<struct bpf_insn> device_filter_program(const std::vector<DeviceRule>& rules);

/// Loads the program and attaches it to the cgroup directory (BPF_F_ALLOW_MULTI, so a
/// parent's filter keeps applying too).
Status attach_device_filter(const std::string& cgroup_dir, const std::vector<DeviceRule>& rules);

/// Devices every container gets, as runc and crun allow them.
const std::vector<DeviceRule>& default_allowed_devices();

}  // namespace quai::runtime
