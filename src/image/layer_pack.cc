// pack_layer: a directory in overlayfs form back into a tar stream with `.wh.` entries.
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <vector>

#include "base/sha256.h"
#include "image/internal/metadata.h"
#include "image/internal/whiteout.h"
#include "image/layer.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

Result<std::vector<std::string>> sorted_names(int dir_fd) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR* dir = fd < 0 ? nullptr : ::fdopendir(fd);
  if (dir == nullptr) {
    if (fd >= 0) ::close(fd);
    return fail_errno(errno, "open directory");
  }
  std::vector<std::string> names;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  // Sorted: the same tree always gives the same tar, hence the same diff_id.
  std::sort(names.begin(), names.end());
  return names;
}

// Lists through the parent's /proc/self/fd entry so symlinks are read, never followed.
Result<std::vector<std::pair<std::string, std::string>>> read_xattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> xattrs;
  std::string names(4096, '\0');
  ssize_t size = ::llistxattr(path.c_str(), names.data(), names.size());
  if (size < 0 && errno == ERANGE) {
    names.resize(static_cast<size_t>(::llistxattr(path.c_str(), nullptr, 0)) + 1);
    size = ::llistxattr(path.c_str(), names.data(), names.size());
  }
  if (size < 0) {
    if (errno == ENOTSUP) return xattrs;
    return fail_errno(errno, "list xattrs");
  }
  for (size_t at = 0; at < static_cast<size_t>(size); at += std::strlen(names.c_str() + at) + 1) {
    std::string name = names.c_str() + at;
    std::string value(65536, '\0');
    ssize_t length = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (length < 0) return fail_errno(errno, "read xattr {}", name);
    value.resize(static_cast<size_t>(length));
    xattrs.emplace_back(std::move(name), std::move(value));
  }
  return xattrs;
}

class Packer {
 public:
  /// `layer_form`: overlayfs whiteouts and opaque directories become `.wh.` entries.
  Packer(int out_fd, bool layer_form)
      : out_fd_(out_fd), layer_form_(layer_form), archive_(archive_write_new()) {}
  ~Packer() { archive_write_free(archive_); }

  /// The children of `dir_fd` at the tar's top level.
  Result<Digest> run(int dir_fd);
  /// One node and what is below it, named `tar_name`.
  Result<Digest> run(int dir_fd, const std::string& name, const std::string& tar_name);

 private:
  Status open();
  Result<Digest> close();
  static la_ssize_t write_callback(struct archive*, void* self, const void* data, size_t size);
  Status add_children(int dir_fd, const std::string& prefix);
  Status add(int dir_fd, const std::string& name, const std::string& path);
  Status add_xattrs(archive_entry* entry, const std::string& node_path, bool* opaque);
  Status write_header(archive_entry* entry);
  Status write_marker(const std::string& path, const struct stat& st);
  Status write_content(int dir_fd, const std::string& name);

  int out_fd_;
  bool layer_form_;
  struct archive* archive_;
  Sha256 hash_;
  std::optional<Error> write_error_;
  std::map<std::pair<dev_t, ino_t>, std::string> first_links_;  // hard links seen
};

la_ssize_t Packer::write_callback(struct archive*, void* self, const void* data, size_t size) {
  auto* packer = static_cast<Packer*>(self);
  std::string_view bytes(static_cast<const char*>(data), size);
  if (auto written = sys::write_all(packer->out_fd_, bytes); !written) {
    packer->write_error_ = std::move(written).error();
    return -1;
  }
  packer->hash_.update(bytes);
  return static_cast<la_ssize_t>(size);
}

Status Packer::open() {
  if (archive_ == nullptr) return fail(Errc::Internal, "archive_write_new failed");
  // ustar where it fits, pax headers only for long names, big ids and xattrs.
  archive_write_set_format_pax_restricted(archive_);
  archive_write_set_bytes_in_last_block(archive_, 1);
  if (archive_write_open(archive_, this, nullptr, &Packer::write_callback, nullptr) != ARCHIVE_OK) {
    return fail(Errc::Internal, "open tar writer: {}", archive_error_string(archive_));
  }
  return ok();
}

Result<Digest> Packer::run(int dir_fd) {
  TRY(open());
  TRY(add_children(dir_fd, ""));
  return close();
}

Result<Digest> Packer::run(int dir_fd, const std::string& name, const std::string& tar_name) {
  TRY(open());
  TRY_CTX(add(dir_fd, name, tar_name), "\"{}\"", tar_name);
  return close();
}

Result<Digest> Packer::close() {
  if (archive_write_close(archive_) != ARCHIVE_OK) {
    if (write_error_) return fail(*write_error_);
    return fail(Errc::Io, "finish tar: {}", archive_error_string(archive_));
  }
  return Digest::from_hex(hash_.finish_hex());
}

Status Packer::add_children(int dir_fd, const std::string& prefix) {
  for (const std::string& name : TRY(sorted_names(dir_fd))) {
    std::string path = prefix + name;
    TRY_CTX(add(dir_fd, name, path), "\"{}\"", path);
  }
  return ok();
}

Status Packer::write_header(archive_entry* entry) {
  if (archive_write_header(archive_, entry) == ARCHIVE_OK) return ok();
  if (write_error_) return fail(*write_error_);
  return fail(Errc::Io, "write tar header: {}", archive_error_string(archive_));
}

// An empty regular file standing for a whiteout, as the OCI layer format spells them.
Status Packer::write_marker(const std::string& path, const struct stat& st) {
  EntryPtr entry(archive_entry_new(), &archive_entry_free);
  archive_entry_set_pathname(entry.get(), path.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0);
  archive_entry_set_uid(entry.get(), st.st_uid);
  archive_entry_set_gid(entry.get(), st.st_gid);
  archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
  archive_entry_set_size(entry.get(), 0);
  return write_header(entry.get());
}

Status Packer::write_content(int dir_fd, const std::string& name) {
  sys::UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open");
  std::vector<char> buffer(1 << 20);
  while (true) {
    ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read");
    if (n == 0) return ok();
    if (archive_write_data(archive_, buffer.data(), static_cast<size_t>(n)) != n) {
      if (write_error_) return fail(*write_error_);
      return fail(Errc::Io, "write tar data: {}", archive_error_string(archive_));
    }
  }
}

// Overlay's own xattrs are not content: the opaque one becomes a marker entry, the others
// (redirects, origins) describe the overlay mount, not the layer.
Status Packer::add_xattrs(archive_entry* entry, const std::string& node_path, bool* opaque) {
  const internal::MetadataPolicy policy{.rootless = false, .is_root = true};
  for (const auto& [name, value] : TRY(read_xattrs(node_path))) {
    if (layer_form_ && (name == internal::kOpaqueXattr || name == "user.overlay.opaque") &&
        value == "y") {
      *opaque = true;
    }
    if (!internal::xattr_allowed(name, policy)) continue;
    archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
  }
  return ok();
}

Status Packer::add(int dir_fd, const std::string& name, const std::string& path) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
    return fail_errno(errno, "stat");
  if (layer_form_ && S_ISCHR(st.st_mode) && st.st_rdev == 0) {
    size_t slash = path.rfind('/') + 1;  // npos + 1 == 0
    std::string marker = path.substr(0, slash) + std::string(internal::kWhiteoutPrefix) + name;
    return write_marker(marker, st);
  }
  if (S_ISSOCK(st.st_mode)) return ok();  // tar cannot hold sockets
  EntryPtr entry(archive_entry_new(), &archive_entry_free);
  archive_entry_copy_stat(entry.get(), &st);
  archive_entry_set_pathname(entry.get(), path.c_str());
  // Whole seconds and no atime or ctime: the same tree packs to the same bytes.
  archive_entry_set_mtime(entry.get(), st.st_mtim.tv_sec, 0);
  archive_entry_unset_atime(entry.get());
  archive_entry_unset_ctime(entry.get());
  archive_entry_unset_birthtime(entry.get());
  if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
    auto [first, is_new] = first_links_.try_emplace({st.st_dev, st.st_ino}, path);
    if (!is_new) {
      archive_entry_set_hardlink(entry.get(), first->second.c_str());
      archive_entry_set_size(entry.get(), 0);
      return write_header(entry.get());
    }
  }
  if (S_ISLNK(st.st_mode)) {
    char target[4096];
    ssize_t n = ::readlinkat(dir_fd, name.c_str(), target, sizeof target - 1);
    if (n < 0) return fail_errno(errno, "readlink");
    archive_entry_set_symlink(entry.get(), std::string(target, static_cast<size_t>(n)).c_str());
  }
  if (!S_ISREG(st.st_mode)) archive_entry_set_size(entry.get(), 0);
  bool opaque = false;
  TRY(add_xattrs(entry.get(), sys::fd_path(dir_fd) + "/" + name, &opaque));
  TRY(write_header(entry.get()));
  if (S_ISREG(st.st_mode)) return write_content(dir_fd, name);
  if (!S_ISDIR(st.st_mode)) return ok();
  if (opaque) TRY(write_marker(path + "/" + std::string(internal::kOpaqueMarker), st));
  sys::UniqueFd child(
      ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!child) return fail_errno(errno, "open directory");
  return add_children(child.get(), path + "/");
}

}  // namespace

Result<Digest> pack_layer(int dir_fd, int out_fd, std::string_view origin) {
  Packer packer(out_fd, true);
  return with_context(packer.run(dir_fd), "pack {}", origin);
}

Status pack_path(int dir_fd, const std::string& name, const std::string& tar_name, int out_fd,
                 std::string_view origin) {
  Packer packer(out_fd, false);
  TRY_CTX(packer.run(dir_fd, name, tar_name), "pack {}", origin);
  return ok();
}

}  // namespace quai::image
