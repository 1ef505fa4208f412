#include "image/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "base/sha256.h"
#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

Status sync_directory(const std::string& dir) {
  sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", dir);
  if (::fsync(fd.get()) != 0) return fail_errno(errno, "fsync \"{}\"", dir);
  return ok();
}

}  // namespace

Result<BlobStore> BlobStore::open(const std::string& root) {
  TRY(sys::mkdir_p(root + "/blobs/sha256", 0700));
  TRY(sys::mkdir_p(root + "/tmp", 0700));
  return BlobStore(root);
}

std::string BlobStore::path(const Digest& digest) const {
  return root_ + "/blobs/sha256/" + digest.hex();
}

bool BlobStore::has(const Digest& digest) const { return sys::path_exists(path(digest)); }

Result<Digest> BlobStore::commit(int tmp_fd, const std::string& hex) {
  Digest digest = Digest::from_hex(hex);
  if (::fsync(tmp_fd) != 0) return fail_errno(errno, "fsync blob {}", digest.str());
  std::string target = path(digest);
  // linkat of an O_TMPFILE file through /proc/self/fd gives it a name atomically.
  if (::linkat(AT_FDCWD, sys::fd_path(tmp_fd).c_str(), AT_FDCWD, target.c_str(),
               AT_SYMLINK_FOLLOW) != 0) {
    if (errno == EEXIST) return digest;  // someone stored the same content first
    return fail_errno(errno, "store blob {}", digest.str());
  }
  TRY(sync_directory(root_ + "/blobs/sha256"));
  return digest;
}

Result<Digest> BlobStore::put(std::string_view data) {
  Digest digest = Digest::of(data);
  if (has(digest)) return digest;
  sys::UniqueFd tmp(::open((root_ + "/tmp").c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
  if (!tmp) return fail_errno(errno, "create a temporary blob in \"{}/tmp\"", root_);
  TRY_CTX(sys::write_all(tmp.get(), data), "write blob {}", digest.str());
  return commit(tmp.get(), digest.hex());
}

Result<Digest> BlobStore::ingest(int fd, const std::optional<Digest>& expected,
                                 std::optional<uint64_t> expected_size) {
  sys::UniqueFd tmp(::open((root_ + "/tmp").c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
  if (!tmp) return fail_errno(errno, "create a temporary blob in \"{}/tmp\"", root_);
  Sha256 hash;
  uint64_t size = 0;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read blob data");
    if (n == 0) break;
    size += static_cast<uint64_t>(n);
    // Refuse early: a stream that announced its size must not fill the disk.
    if (expected_size && size > *expected_size) {
      return fail(Errc::Corrupt, "blob {}: more than the announced {} bytes",
                  expected ? expected->str() : std::string("data"), *expected_size);
    }
    std::string_view chunk(buffer, static_cast<size_t>(n));
    hash.update(chunk);
    TRY(sys::write_all(tmp.get(), chunk));
  }
  std::string hex = hash.finish_hex();
  if (expected_size && size != *expected_size) {
    return fail(Errc::Corrupt, "blob {}: size {} does not match the expected {}",
                expected ? expected->str() : "sha256:" + hex, size, *expected_size);
  }
  if (expected && expected->hex() != hex) {
    return fail(Errc::Corrupt, "blob {}: digest mismatch (content is sha256:{})", expected->str(),
                hex);
  }
  return commit(tmp.get(), hex);
}

Result<std::string> BlobStore::read(const Digest& digest) const {
  auto data = sys::read_file(path(digest));
  if (!data && data.error().code() == Errc::NotFound)
    return fail(Errc::NotFound, "blob {} not found", digest.str());
  if (!data) return std::unexpected(data.error());
  if (Digest::of(*data) != digest)
    return fail(Errc::Corrupt, "blob {}: content does not match its digest", digest.str());
  return std::move(*data);
}

Status BlobStore::remove(const Digest& digest) {
  if (::unlink(path(digest).c_str()) != 0 && errno != ENOENT)
    return fail_errno(errno, "remove blob {}", digest.str());
  return ok();
}

}  // namespace quai::image
