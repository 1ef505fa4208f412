#pragma once
// The monitor's attach protocol: SOCK_SEQPACKET messages, each one frame of a type byte
// followed by its payload. The socket keeps message boundaries, so no length prefix.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace quai::engine::internal {

enum class Frame : uint8_t {
  Stdout = 1,
  Stderr = 2,
  Started = 3,   // monitor → client: payload is the container's pid
  Exited = 4,    // monitor → client: payload is the exit code
  Error = 5,     // monitor → client: payload is "<exit code> <message>"
  Stdin = 6,     // client → monitor
  StdinEof = 7,  // client → monitor
  Resize = 8,    // client → monitor: "<rows> <cols>"
};

inline constexpr size_t kMaxFramePayload = 32 * 1024;

/// Sends one frame; false when the peer is gone (EPIPE, ECONNRESET).
inline bool send_frame(int socket, Frame type, std::string_view payload) {
  std::string message(1, static_cast<char>(type));
  message.append(payload.substr(0, kMaxFramePayload));
  while (true) {
    ssize_t n = ::send(socket, message.data(), message.size(), MSG_NOSIGNAL);
    if (n >= 0) return true;
    if (errno != EINTR) return false;
  }
}

struct ReceivedFrame {
  Frame type;
  std::string payload;
};

/// Receives one frame; false at end of stream or on error.
inline bool receive_frame(int socket, ReceivedFrame& frame) {
  char buffer[kMaxFramePayload + 1];
  while (true) {
    ssize_t n = ::recv(socket, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    frame.type = static_cast<Frame>(buffer[0]);
    frame.payload.assign(buffer + 1, static_cast<size_t>(n - 1));
    return true;
  }
}

}  // namespace quai::engine::internal
