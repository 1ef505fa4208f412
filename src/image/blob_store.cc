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

BlobWriter::BlobWriter(BlobStore& store, sys::UniqueFd tmp, std::optional<uint64_t> limit)
    : store_(&store), tmp_(std::move(tmp)), hash_(std::make_unique<Sha256>()), limit_(limit) {}
BlobWriter::BlobWriter(BlobWriter&&) noexcept = default;
BlobWriter& BlobWriter::operator=(BlobWriter&&) noexcept = default;
BlobWriter::~BlobWriter() = default;

Status BlobWriter::write(std::string_view data) {
  QUAI_CHECK(tmp_.valid() && !digest_);
  size_ += data.size();
  if (limit_ && size_ > *limit_)
    return fail(Errc::Corrupt, "more than the announced {} bytes", *limit_);
  hash_->update(data);
  TRY(sys::write_all(tmp_.get(), data));
  start_writeback();
  return ok();
}

// Asks the kernel to start writing each full stretch out now, without waiting for it: the
// fsync at commit then finds most of the blob on disk already. For a 512 MiB blob that
// fsync took 1.1 s on its own (a push that had streamed the blob while writing it).
void BlobWriter::start_writeback() {
  constexpr uint64_t kStretch = 8 << 20;
  while (size_ - written_back_ >= kStretch) {
    ::sync_file_range(tmp_.get(), static_cast<off_t>(written_back_), kStretch,
                      SYNC_FILE_RANGE_WRITE);
    written_back_ += kStretch;
  }
}

const Digest& BlobWriter::digest() {
  if (!digest_) digest_ = Digest::from_hex(hash_->finish_hex());
  return *digest_;
}

Result<StoredBlob> BlobWriter::commit(const std::optional<Digest>& expected,
                                      std::optional<uint64_t> expected_size) {
  QUAI_CHECK(tmp_.valid());
  sys::UniqueFd tmp = std::move(tmp_);  // one commit; the file vanishes with the fd if refused
  Digest digest = this->digest();
  if (expected_size && size_ != *expected_size) {
    return fail(Errc::Corrupt, "blob {}: size {} does not match the expected {}",
                expected ? expected->str() : digest.str(), size_, *expected_size);
  }
  if (expected && *expected != digest) {
    return fail(Errc::Corrupt, "blob {}: digest mismatch (content is {})", expected->str(),
                digest.str());
  }
  bool created = TRY(store_->commit(tmp.get(), digest));
  return StoredBlob{digest, size_, created};
}

Result<BlobStore> BlobStore::open(const std::string& root) {
  TRY(sys::mkdir_p(root + "/blobs/sha256", 0700));
  TRY(sys::mkdir_p(root + "/tmp", 0700));
  return BlobStore(root);
}

std::string BlobStore::path(const Digest& digest) const {
  return root_ + "/blobs/sha256/" + digest.hex();
}

bool BlobStore::has(const Digest& digest) const { return sys::path_exists(path(digest)); }

Result<sys::UniqueFd> BlobStore::open_temporary() const {
  sys::UniqueFd tmp(::open((root_ + "/tmp").c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
  if (!tmp) return fail_errno(errno, "create a temporary blob in \"{}/tmp\"", root_);
  return tmp;
}

Result<bool> BlobStore::commit(int tmp_fd, const Digest& digest) {
  if (::fsync(tmp_fd) != 0) return fail_errno(errno, "fsync blob {}", digest.str());
  std::string target = path(digest);
  // linkat of an O_TMPFILE file through /proc/self/fd gives it a name atomically.
  if (::linkat(AT_FDCWD, sys::fd_path(tmp_fd).c_str(), AT_FDCWD, target.c_str(),
               AT_SYMLINK_FOLLOW) != 0) {
    if (errno == EEXIST) return false;  // someone stored the same content first
    return fail_errno(errno, "store blob {}", digest.str());
  }
  TRY(sync_directory(root_ + "/blobs/sha256"));
  return true;
}

Result<BlobWriter> BlobStore::writer(std::optional<uint64_t> limit) {
  return BlobWriter(*this, TRY(open_temporary()), limit);
}

Result<Digest> BlobStore::put(std::string_view data) {
  Digest digest = Digest::of(data);
  if (has(digest)) return digest;
  sys::UniqueFd tmp = TRY(open_temporary());
  TRY_CTX(sys::write_all(tmp.get(), data), "write blob {}", digest.str());
  TRY(commit(tmp.get(), digest));
  return digest;
}

Result<Digest> BlobStore::ingest(int fd, const std::optional<Digest>& expected,
                                 std::optional<uint64_t> expected_size) {
  BlobWriter blob = TRY(writer(expected_size));
  char buffer[1 << 16];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno(errno, "read blob data");
    if (n == 0) break;
    TRY_CTX(blob.write(std::string_view(buffer, static_cast<size_t>(n))), "blob {}",
            expected ? expected->str() : std::string("data"));
  }
  return TRY(blob.commit(expected, expected_size)).digest;
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

Result<sys::UniqueFd> BlobStore::open_blob(const Digest& digest) const {
  sys::UniqueFd fd(::open(path(digest).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd && errno == ENOENT) return fail(Errc::NotFound, "blob {} not found", digest.str());
  if (!fd) return fail_errno(errno, "open blob {}", digest.str());
  return fd;
}

Result<uint64_t> BlobStore::size(const Digest& digest) const {
  struct stat st;
  if (::stat(path(digest).c_str(), &st) != 0) {
    if (errno == ENOENT) return fail(Errc::NotFound, "blob {} not found", digest.str());
    return fail_errno(errno, "stat blob {}", digest.str());
  }
  return static_cast<uint64_t>(st.st_size);
}

Status BlobStore::remove(const Digest& digest) {
  if (::unlink(path(digest).c_str()) != 0 && errno != ENOENT)
    return fail_errno(errno, "remove blob {}", digest.str());
  return ok();
}

}  // namespace quai::image
