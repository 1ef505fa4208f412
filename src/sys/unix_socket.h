#pragma once
// Unix sockets: connecting by path and passing file descriptors (SCM_RIGHTS).

#include <string>

#include "base/result.h"
#include "sys/fd.h"

namespace quai::sys {

Result<UniqueFd> connect_unix(const std::string& path);
Status send_fd(int socket, int fd, std::string_view payload);
Result<UniqueFd> receive_fd(int socket);

}  // namespace quai::sys
