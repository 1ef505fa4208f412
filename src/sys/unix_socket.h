#pragma once
// Unix sockets: connecting by path and passing file descriptors (SCM_RIGHTS).

#include <sys/socket.h>

#include <string>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::sys {

/// `type`: SOCK_STREAM, or SOCK_SEQPACKET to keep message boundaries.
Result<UniqueFd> connect_unix(const std::string& path, int type = SOCK_STREAM);
Status send_fd(int socket, int fd, std::string_view payload);
Result<UniqueFd> receive_fd(int socket);

}  // namespace quai::sys
