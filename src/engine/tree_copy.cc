#include "engine/internal/tree_copy.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "sys/fs.h"

namespace quai::engine::internal {
namespace {

constexpr int kMaxSymlinks = 40;

std::string parent_of(const std::string& clean) {
  size_t slash = clean.rfind('/');
  return slash == 0 ? "/" : clean.substr(0, slash);
}

std::string base_of(const std::string& clean) {
  return clean == "/" ? "." : clean.substr(clean.rfind('/') + 1);
}

}  // namespace

Result<Located> locate_in_root(int root_fd, const std::string& path, bool follow_final) {
  std::string clean = sys::clean_path(path);
  for (int links = 0;; ++links) {
    Located found;
    found.path = clean;
    found.name = base_of(clean);
    found.parent = TRY(sys::open_in_root(root_fd, parent_of(clean), O_PATH | O_DIRECTORY));
    struct stat st;
    if (::fstatat(found.parent.get(), found.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return found;
      return fail_errno(errno, "stat \"{}\"", clean);
    }
    found.exists = true;
    found.is_directory = S_ISDIR(st.st_mode);
    if (!S_ISLNK(st.st_mode) || !follow_final) return found;
    if (links == kMaxSymlinks) return fail_errno(ELOOP, "resolve \"{}\"", path);
    char target[4096];
    ssize_t n = ::readlinkat(found.parent.get(), found.name.c_str(), target, sizeof target - 1);
    if (n < 0) return fail_errno(errno, "readlink \"{}\"", clean);
    std::string link(target, static_cast<size_t>(n));
    // Resolved lexically, then again inside the root: a link can lead nowhere else.
    clean = sys::clean_path(link.starts_with('/') ? link : parent_of(clean) + "/" + link);
  }
}

Status copy_tree(const Located& source, const std::string& tar_name, int dest_dir_fd,
                 const image::UnpackOptions& options) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  sys::UniqueFd read_end(pipe_fds[0]);
  sys::UniqueFd write_end(pipe_fds[1]);
  Status packed = ok();
  std::thread packer([&] {
    // A reader that gave up closes its end: the write fails with EPIPE, not a signal.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    packed = image::pack_path(source.parent.get(), source.name, tar_name, write_end.get(),
                              "\"" + source.path + "\"");
    write_end.reset();
  });
  auto unpacked = image::unpack_layer(read_end.get(), dest_dir_fd, options, "copy");
  read_end.reset();
  packer.join();
  if (!packed) return packed;
  if (!unpacked) return fail(std::move(unpacked).error());
  return ok();
}

image::UnpackOptions plain_tree_options() {
  image::UnpackOptions options;
  options.whiteouts = false;
  options.keep_directory_kinds = true;
  return options;
}

}  // namespace quai::engine::internal
