#pragma once
// podman (and skopeo) kept inside one test's temp dir: --root, --runroot, --tmpdir and
// TMPDIR point there, the cgroupfs manager and the file events backend leave nothing in
// the system's places, and the destructor removes containers, images and the storage.

#include <string>
#include <vector>

#include "quai_env.h"
#include "support.h"

namespace quai::test {

struct PodmanOptions {
  // A path (quai-runtime) or a name on PATH. runc, not crun: Debian 12's crun refuses every
  // container on a hybrid cgroup host whose cgroup2 root lists a controller (hugetlb here).
  std::string runtime = "runc";
  std::string storage_driver;  // empty: podman's default
};

class PodmanEnv {
 public:
  /// Whether this machine can run podman (and skopeo when asked) for the tests: root and
  /// the binaries present.
  static bool available(bool with_skopeo = false);

  explicit PodmanEnv(const std::string& prefix, PodmanOptions options = {});
  ~PodmanEnv();
  PodmanEnv(const PodmanEnv&) = delete;
  PodmanEnv& operator=(const PodmanEnv&) = delete;

  const std::string& dir() const { return dir_.path(); }
  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }

  CommandResult podman(const std::vector<std::string>& args, int timeout = 180) const;
  /// `podman run` with this machine's rlimits (below podman's defaults, which the runtime
  /// cannot raise) and no network, then args.
  CommandResult podman_run(const std::vector<std::string>& args) const;
  CommandResult skopeo(const std::vector<std::string>& args) const;
  /// skopeo's name for `image` in this podman's storage (needs a storage driver set).
  std::string containers_storage(const std::string& image) const;
  /// The podman command and its global flags, for a shell line (`script -c`).
  std::string command_line() const;
  /// A busybox rootfs (with quai-testhelper) imported into podman as `image`.
  void import_busybox(const std::string& image) const;

 private:
  std::vector<std::string> podman_argv() const;

  TempDir dir_;
  PodmanOptions options_;
  bool had_libpod_parent_ = false;
  std::string old_cwd_;
};

/// A quai store per test and one podman (with skopeo) for the whole suite, holding a
/// busybox image: a suite calls start_podman() from SetUpTestSuite() and stop_podman()
/// from TearDownTestSuite(); its tests are skipped where podman cannot run.
class QuaiWithPodmanTest : public QuaiTest {
 protected:
  static void start_podman(const std::string& prefix, const std::string& image);
  static void stop_podman();
  void SetUp() override;

  static PodmanEnv* podman_;
};

}  // namespace quai::test
