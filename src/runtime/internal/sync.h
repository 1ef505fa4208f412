#pragma once
// The channel between the runtime and the process it clones: a SOCK_SEQPACKET socketpair
// carrying one-message steps, and errors that cross it as values.

#include <string>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::runtime::internal {

enum class SyncStep : char {
  Go = 'g',        // parent → child: continue with the next step
  UserMaps = 'u',  // child → parent: write my uid/gid maps
  Pid = 'p',       // child → parent: payload is the container init's pid
  Hooks = 'h',     // child → parent: mounts are done, run prestart/createRuntime hooks
  Ready = 'r',     // child → parent: set up, waiting for start
  Failed = 'e',    // either way: payload is a serialised Error
};

struct SyncMessage {
  SyncStep step;
  std::string payload;
};

class SyncChannel {
 public:
  SyncChannel() = default;
  explicit SyncChannel(sys::UniqueFd fd) : fd_(std::move(fd)) {}

  /// A connected pair: first for the parent, second for the child.
  static Result<std::pair<SyncChannel, SyncChannel>> make_pair();

  Status send(SyncStep step, std::string_view payload = {});
  Status send_error(const Error& error);
  /// The next message; a Failed message comes back as its Error, EOF as Internal.
  Result<SyncMessage> receive();
  /// Receives and checks the step.
  Result<std::string> expect(SyncStep step);
  int fd() const { return fd_.get(); }
  void close() { fd_.reset(); }

 private:
  sys::UniqueFd fd_;
};

}  // namespace quai::runtime::internal
