#include "image/internal/tar_writer.h"

#include <archive_entry.h>

#include <memory>

namespace quai::image::internal {
namespace {

struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

}  // namespace

Result<TarWriter> TarWriter::open(int fd) {
  ArchiveWriter writer(archive_write_new());
  if (!writer) return fail(Errc::Internal, "archive_write_new failed");
  archive* a = writer.get();
  if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
      archive_write_add_filter_none(a) != ARCHIVE_OK ||
      archive_write_open_fd(a, fd) != ARCHIVE_OK) {
    return fail(archive_error(a, Errc::Io, "start tar"));
  }
  return TarWriter(std::move(writer));
}

Status TarWriter::write_header(const std::string& name, unsigned type, uint64_t size) {
  if (remaining_ != 0)
    return fail(Errc::Internal, "tar member \"{}\": {} bytes short", current_, remaining_);
  std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_filetype(entry.get(), type);
  archive_entry_set_perm(entry.get(), type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
  archive_entry_set_mtime(entry.get(), 0, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  if (archive_write_header(writer_.get(), entry.get()) != ARCHIVE_OK)
    return fail(
        archive_error(writer_.get(), Errc::Io, fmt::format("write tar member \"{}\"", name)));
  current_ = name;
  remaining_ = size;
  return ok();
}

Status TarWriter::add_directory(const std::string& name) { return write_header(name, AE_IFDIR, 0); }

Status TarWriter::add_file(const std::string& name, std::string_view data) {
  TRY(begin_file(name, data.size()));
  return write(data);
}

Status TarWriter::begin_file(const std::string& name, uint64_t size) {
  return write_header(name, AE_IFREG, size);
}

Status TarWriter::write(std::string_view data) {
  if (data.size() > remaining_) {
    return fail(Errc::Internal, "tar member \"{}\": more data than the {} bytes announced",
                current_, remaining_);
  }
  while (!data.empty()) {
    la_ssize_t n = archive_write_data(writer_.get(), data.data(), data.size());
    if (n <= 0) {
      return fail(
          archive_error(writer_.get(), Errc::Io, fmt::format("write tar member \"{}\"", current_)));
    }
    data.remove_prefix(static_cast<size_t>(n));
    remaining_ -= static_cast<uint64_t>(n);
  }
  return ok();
}

Status TarWriter::finish() {
  if (remaining_ != 0)
    return fail(Errc::Internal, "tar member \"{}\": {} bytes short", current_, remaining_);
  if (archive_write_close(writer_.get()) != ARCHIVE_OK)
    return fail(archive_error(writer_.get(), Errc::Io, "finish tar"));
  return ok();
}

}  // namespace quai::image::internal
