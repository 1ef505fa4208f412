#include "sys/file_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "sys/fd.h"

namespace quai::sys {

Result<std::string> read_all(int fd) {
  std::string out;
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "read");
    }
    if (n == 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(errno, "write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok();
}

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", path);
  return with_context(read_all(fd.get()), "\"{}\"", path);
}

Status write_file(const std::string& path, std::string_view data, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return fail_errno(errno, "create \"{}\"", path);
  TRY_CTX(write_all(fd.get(), data), "\"{}\"", path);
  return ok();
}

Status write_existing(const std::string& path, std::string_view data) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", path);
  TRY_CTX(write_all(fd.get(), data), "write \"{}\" to \"{}\"", data, path);
  return ok();
}

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                         Durability durability) {
  std::string temp = path + ".tmp";
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return fail_errno(errno, "create \"{}\"", temp);
  TRY_CTX(write_all(fd.get(), data), "\"{}\"", temp);
  if (durability == Durability::Durable && ::fsync(fd.get()) != 0) {
    return fail_errno(errno, "fsync \"{}\"", temp);
  }
  fd.reset();
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    return fail_errno(saved, "rename \"{}\" to \"{}\"", temp, path);
  }
  return ok();
}

}  // namespace quai::sys
