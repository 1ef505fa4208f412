// load_archive: streams a tar's members into the blob store, then reads its layout.

#include <archive.h>
#include <archive_entry.h>

#include "image/archive.h"
#include "image/internal/archive_contents.h"
#include "image/internal/archive_layouts.h"
#include "image/internal/libarchive_handle.h"

namespace quai::image {
namespace {

using internal::ArchiveContents;

constexpr size_t kBlockSize = 1 << 16;

// `docker load` accepts the tar itself gzip or zstd compressed; libarchive tells them apart.
Result<internal::ArchiveReader> open_tar_reader(int fd) {
  internal::ArchiveReader reader(archive_read_new());
  if (!reader) return fail(Errc::Internal, "archive_read_new failed");
  archive* a = reader.get();
  if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
      archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
      archive_read_support_format_tar(a) != ARCHIVE_OK) {
    return fail(internal::archive_error(a, Errc::Unsupported, "set up the tar reader"));
  }
  if (archive_read_open_fd(a, fd, kBlockSize) != ARCHIVE_OK)
    return fail(internal::archive_error(a, Errc::Corrupt, "read tar"));
  return reader;
}

// A member under blobs/ is named by its digest: the name is the digest it must have.
Result<std::optional<Digest>> digest_from_name(const std::string& name) {
  if (!name.starts_with("blobs/")) return std::nullopt;
  if (!name.starts_with("blobs/sha256/"))
    return fail(Errc::Unsupported, "only sha256 blobs are supported");
  auto digest = Digest::parse("sha256:" + name.substr(13));
  if (!digest) return fail(Errc::Corrupt, "the name is not a sha256 digest");
  return *digest;
}

Result<StoredBlob> store_member_data(archive* a, BlobStore& blobs,
                                     const std::optional<Digest>& expected) {
  BlobWriter writer = TRY(blobs.writer());
  char buffer[kBlockSize];
  while (true) {
    la_ssize_t n = archive_read_data(a, buffer, sizeof buffer);
    if (n < 0) return fail(internal::archive_error(a, Errc::Corrupt, "read data"));
    if (n == 0) break;
    TRY(writer.write(std::string_view(buffer, static_cast<size_t>(n))));
  }
  return writer.commit(expected);
}

Status read_member(archive* a, archive_entry* entry, ArchiveContents& contents) {
  const char* raw_name = archive_entry_pathname(entry);
  if (raw_name == nullptr) return fail(Errc::Corrupt, "a member has no readable name");
  std::string name = TRY(internal::clean_member_name(raw_name));
  if (name.empty()) return ok();  // "./"
  const char* hardlink = archive_entry_hardlink(entry);
  if (hardlink != nullptr) {
    std::string target = TRY(internal::clean_member_name(hardlink));
    return contents.add_link(name, target);
  }
  switch (archive_entry_filetype(entry)) {
    case AE_IFREG: {
      auto expected = TRY_CTX(digest_from_name(name), "member \"{}\"", name);
      StoredBlob blob =
          TRY_CTX(store_member_data(a, contents.blobs(), expected), "member \"{}\"", name);
      return contents.add_blob(name, blob);
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(entry);
      if (target == nullptr) return fail(Errc::Corrupt, "link \"{}\" has no target", name);
      return contents.add_link(name, TRY(internal::resolve_link_target(name, target)));
    }
    default:
      return ok();  // directories, devices: an image archive's layout has no use for them
  }
}

Status read_members(int fd, ArchiveContents& contents) {
  internal::ArchiveReader reader = TRY(open_tar_reader(fd));
  archive* a = reader.get();
  while (true) {
    archive_entry* entry = nullptr;
    int status = archive_read_next_header(a, &entry);
    if (status == ARCHIVE_EOF) return ok();
    if (status < ARCHIVE_WARN) return fail(internal::archive_error(a, Errc::Corrupt, "read tar"));
    if (contents.size() >= kMaxArchiveMembers)
      return fail(Errc::InvalidArgument, "more than {} members", kMaxArchiveMembers);
    TRY(read_member(a, entry, contents));
  }
}

Result<LoadedArchive> load(int fd, BlobStore& blobs, const LoadOptions& options) {
  ArchiveContents contents(blobs);
  TRY(read_members(fd, contents));
  LoadedArchive loaded;
  // Docker 25 writes index.json next to manifest.json; manifest.json carries the tags.
  if (contents.contains("manifest.json")) {
    loaded = {ArchiveFormat::DockerArchive, TRY(internal::load_docker_layout(contents))};
  } else if (contents.contains("index.json")) {
    loaded = {ArchiveFormat::OciArchive, TRY(internal::load_oci_layout(contents, options))};
  } else {
    return fail(Errc::InvalidArgument,
                "neither manifest.json (docker-archive) nor index.json (oci-archive) found");
  }
  contents.succeeded();
  return loaded;
}

}  // namespace

Result<LoadedArchive> load_archive(int fd, BlobStore& blobs, std::string_view origin,
                                   const LoadOptions& options) {
  return with_context(load(fd, blobs, options), "load archive \"{}\"", origin);
}

}  // namespace quai::image
