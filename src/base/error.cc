#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace quai {

Errc errc_from_errno(int sys_errno) {
  switch (sys_errno) {
    case ENOENT:
    case ESRCH:
    case ENXIO:
      return Errc::NotFound;
    case EEXIST:
      return Errc::AlreadyExists;
    case EINVAL:
    case ENAMETOOLONG:
    case ENOTDIR:
    case EISDIR:
    case ELOOP:
    case EXDEV:
      return Errc::InvalidArgument;
    case EPERM:
    case EACCES:
    case EROFS:
      return Errc::PermissionDenied;
    case EBUSY:
    case EAGAIN:
    case ETXTBSY:
      return Errc::Busy;
    case ENOSYS:
    case EOPNOTSUPP:
    case EAFNOSUPPORT:
    case EPROTONOSUPPORT:
      return Errc::Unsupported;
    case ETIMEDOUT:
      return Errc::Timeout;
    default:
      return Errc::Io;
  }
}

Error Error::from_errno(int sys_errno, std::string what) {
  return Error(errc_from_errno(sys_errno), std::move(what), sys_errno);
}

std::string Error::to_string() const {
  std::string out;
  for (auto it = context_.rbegin(); it != context_.rend(); ++it) {
    out += *it;
    out += ": ";
  }
  out += message_;
  if (sys_errno_ != 0) {
    out += ": ";
    out += std::strerror(sys_errno_);
  }
  return out;
}

}  // namespace quai
