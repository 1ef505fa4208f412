#include "sys/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstring>

namespace quai::sys {

Result<UniqueFd> connect_unix(const std::string& path, int type) {
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    return fail(Errc::InvalidArgument, "socket path \"{}\" is too long", path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd) return fail_errno(errno, "socket");
  if (::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&address), sizeof address) != 0) {
    return fail_errno(errno, "connect to \"{}\"", path);
  }
  return fd;
}

Status send_fd(int socket, int fd, std::string_view payload) {
  char control[CMSG_SPACE(sizeof(int))] = {};
  std::string data = payload.empty() ? std::string(1, '\0') : std::string(payload);
  struct iovec iov = {data.data(), data.size()};
  struct msghdr message = {};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof(int));
  while (::sendmsg(socket, &message, MSG_NOSIGNAL) < 0) {
    if (errno != EINTR) return fail_errno(errno, "send file descriptor");
  }
  return ok();
}

Result<UniqueFd> receive_fd(int socket) {
  char control[CMSG_SPACE(sizeof(int))] = {};
  char data[256];
  struct iovec iov = {data, sizeof data};
  struct msghdr message = {};
  message.msg_iov = &iov;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  while (::recvmsg(socket, &message, MSG_CMSG_CLOEXEC) < 0) {
    if (errno != EINTR) return fail_errno(errno, "receive file descriptor");
  }
  struct cmsghdr* header = CMSG_FIRSTHDR(&message);
  if (header == nullptr || header->cmsg_type != SCM_RIGHTS) {
    return fail(Errc::Corrupt, "no file descriptor in message");
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(header), sizeof(int));
  return UniqueFd(fd);
}

}  // namespace quai::sys
