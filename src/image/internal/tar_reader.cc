#include "image/internal/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace quai::image::internal {
namespace {

// No file system takes paths this long; a header that claims one is an attack on memory.
// libarchive itself refuses special headers (pax, GNU long names) over 1 MiB.
constexpr size_t kMaxPathSize = 64 * 1024;
constexpr size_t kMaxXattrBytes = 1024 * 1024;

// libarchive converts pax UTF-8 names to the locale's charset and gives up in the C locale;
// the UTF-8 form is the name the image author meant then.
std::string entry_name(const char* native, const char* utf8) {
  if (native != nullptr) return native;
  return utf8 != nullptr ? utf8 : "";
}

Status check_path_size(std::string_view what, const std::string& path) {
  if (path.size() <= kMaxPathSize) return ok();
  return fail(Errc::Corrupt, "{} of {} bytes is longer than the limit of {}", what, path.size(),
              kMaxPathSize);
}

Result<std::vector<std::pair<std::string, std::string>>> entry_xattrs(archive_entry* entry) {
  std::vector<std::pair<std::string, std::string>> xattrs;
  size_t total = 0;
  archive_entry_xattr_reset(entry);
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
    total += size + std::strlen(name);
    if (total > kMaxXattrBytes) return fail(Errc::Corrupt, "xattrs over {} bytes", kMaxXattrBytes);
    xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
  }
  return xattrs;
}

struct timespec entry_time(time_t seconds, long nanoseconds) {
  struct timespec time = {};
  time.tv_sec = seconds;
  time.tv_nsec = std::clamp(nanoseconds, 0L, 999999999L);
  return time;
}

Result<TarEntry> copy_entry(archive_entry* entry) {
  TarEntry out;
  out.path = entry_name(archive_entry_pathname(entry), archive_entry_pathname_utf8(entry));
  TRY(check_path_size("path", out.path));
  if (const char* hard = archive_entry_hardlink(entry); hard != nullptr) {
    out.is_hard_link = true;
    out.link_target = entry_name(hard, archive_entry_hardlink_utf8(entry));
  } else if (archive_entry_filetype(entry) == AE_IFLNK) {
    out.link_target = entry_name(archive_entry_symlink(entry), archive_entry_symlink_utf8(entry));
  }
  TRY_CTX(check_path_size("link target", out.link_target), "entry \"{}\"", out.path);
  out.mode = archive_entry_mode(entry);
  out.uid = static_cast<uid_t>(archive_entry_uid(entry));
  out.gid = static_cast<gid_t>(archive_entry_gid(entry));
  out.rdev = archive_entry_rdev(entry);
  out.size = archive_entry_size(entry);
  out.mtime = entry_time(archive_entry_mtime(entry), archive_entry_mtime_nsec(entry));
  out.atime = archive_entry_atime_is_set(entry)
                  ? entry_time(archive_entry_atime(entry), archive_entry_atime_nsec(entry))
                  : out.mtime;
  out.xattrs = TRY_CTX(entry_xattrs(entry), "entry \"{}\"", out.path);
  return out;
}

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

}  // namespace

TarReader::TarReader(PlainStream& stream) : stream_(&stream) {}

TarReader::~TarReader() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

long TarReader::read_callback(struct archive* archive, void* self, const void** buffer) {
  auto* reader = static_cast<TarReader*>(self);
  auto chunk = reader->stream_->next();
  if (!chunk) {
    archive_set_error(archive, EIO, "%s", chunk.error().message().c_str());
    reader->read_error_ = std::move(chunk).error();
    return -1;
  }
  reader->last_chunk_ = *chunk;
  reader->handed_out_ += chunk->size();
  *buffer = chunk->data();
  return static_cast<long>(chunk->size());
}

Result<std::unique_ptr<TarReader>> TarReader::open(PlainStream& stream) {
  std::unique_ptr<TarReader> reader(new TarReader(stream));
  reader->archive_ = archive_read_new();
  if (reader->archive_ == nullptr) return fail(Errc::Internal, "archive_read_new failed");
  // Tar only (ustar, pax, GNU): no other format, no filters; decompression is ours.
  archive_read_support_format_tar(reader->archive_);
  if (archive_read_open(reader->archive_, reader.get(), nullptr, &TarReader::read_callback,
                        nullptr) != ARCHIVE_OK) {
    return fail(reader->archive_error("open tar stream"));
  }
  return reader;
}

Error TarReader::archive_error(std::string_view what) const {
  if (read_error_) return *read_error_;
  const char* message = archive_error_string(archive_);
  return make_error(Errc::Corrupt, "{}: {}", what, message ? message : "malformed tar");
}

Result<std::optional<TarEntry>> TarReader::next() {
  archive_entry* entry = nullptr;
  int rc = ARCHIVE_RETRY;
  while (rc == ARCHIVE_RETRY) rc = archive_read_next_header(archive_, &entry);
  if (rc == ARCHIVE_EOF) return std::nullopt;
  // ARCHIVE_WARN (a name not convertible to the locale, an unknown pax key) still gives a
  // usable entry; FAILED and FATAL do not.
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return fail(archive_error("read tar header"));
  return TRY(copy_entry(entry));
}

Result<std::optional<DataBlock>> TarReader::next_block() {
  const void* data = nullptr;
  size_t size = 0;
  la_int64_t offset = 0;
  int rc = archive_read_data_block(archive_, &data, &size, &offset);
  if (rc == ARCHIVE_EOF) return std::nullopt;
  if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) return fail(archive_error("read tar data"));
  return DataBlock{offset, {static_cast<const char*>(data), size}};
}

Status TarReader::finish() {
  // What libarchive was handed but did not parse sits at the end of the last chunk.
  uint64_t parsed = static_cast<uint64_t>(archive_filter_bytes(archive_, 0));
  uint64_t unparsed = handed_out_ > parsed ? handed_out_ - parsed : 0;
  size_t in_last = static_cast<size_t>(std::min<uint64_t>(unparsed, last_chunk_.size()));
  bool clean = all_zero(last_chunk_.substr(last_chunk_.size() - in_last));
  while (true) {
    std::string_view chunk = TRY(stream_->next());
    if (chunk.empty()) break;
    clean = clean && all_zero(chunk);
  }
  if (!clean) return fail(Errc::Corrupt, "trailing data after the end of the tar archive");
  return ok();
}

}  // namespace quai::image::internal
