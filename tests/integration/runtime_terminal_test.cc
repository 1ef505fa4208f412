// process.terminal: the runtime sends the pty master over --console-socket, as conmon
// expects, and the container sees a terminal on stdio and /dev/console.

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "support.h"
#include "sys/unix_socket.h"

namespace quai::test {
namespace {

using RuntimeTerminal = RuntimeTest;

int listen_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 1) != 0)
    return -1;
  return fd;
}

int receive_master(int listener) {
  sys::UniqueFd connection(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
  if (!connection) return -1;
  auto master = sys::receive_fd(connection.get());
  return master ? master->release() : -1;
}

std::string read_until_closed(int fd, int timeout_ms) {
  std::string out;
  struct pollfd pfd = {fd, POLLIN, 0};
  while (::poll(&pfd, 1, timeout_ms) > 0) {
    char buffer[1024];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;  // EIO once the last slave fd closes
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

TEST_F(RuntimeTerminal, MasterGoesToTheConsoleSocketAndTheContainerHasATty) {
  std::string socket_path = dir_->path() + "/console.sock";
  int listener = listen_unix(socket_path);
  ASSERT_GE(listener, 0);
  Json c = default_config(
      shared_rootfs(),
      {"sh", "-c", "tty; readlink /proc/self/fd/0; test -c /dev/console && echo console-ok"});
  c["process"]["terminal"] = true;
  c["process"]["consoleSize"] = {{"height", 40}, {"width", 120}};
  auto created = runtime({"create", "--bundle", bundle(c), "--console-socket", socket_path, id()});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  int master = receive_master(listener);
  ::close(listener);
  ASSERT_GE(master, 0);
  ASSERT_EQ(runtime({"start", id()}).exit_code, 0);
  std::string out = read_until_closed(master, 5000);
  ::close(master);
  EXPECT_NE(out.find("/dev/pts/0"), std::string::npos) << out;
  EXPECT_NE(out.find("console-ok"), std::string::npos) << out;
}

TEST_F(RuntimeTerminal, TerminalWithoutConsoleSocketIsRefusedByCreate) {
  Json c = default_config(shared_rootfs(), {"sh"});
  c["process"]["terminal"] = true;
  auto r = runtime({"create", "--bundle", bundle(c), id()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("process.terminal is true but no --console-socket was given"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace quai::test
