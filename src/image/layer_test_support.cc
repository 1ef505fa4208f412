#include "image/layer_test_support.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace quai::image::testing {
namespace {

la_ssize_t append(struct archive*, void* out, const void* data, size_t size) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(data), size);
  return static_cast<la_ssize_t>(size);
}

}  // namespace

void TarBuilder::add(const std::string& path, mode_t type, const Options& options,
                     const std::string& data, const std::string& symlink,
                     const std::string& hard_link, dev_t rdev) {
  struct archive* writer = archive_write_new();
  archive_write_set_format_pax_restricted(writer);
  archive_write_set_bytes_in_last_block(writer, 1);
  std::string one;
  archive_write_open(writer, &one, nullptr, append, nullptr);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, path.c_str());
  archive_entry_set_filetype(entry, type);
  archive_entry_set_perm(entry, options.mode);
  archive_entry_set_uid(entry, options.uid);
  archive_entry_set_gid(entry, options.gid);
  archive_entry_set_mtime(entry, options.mtime, 0);
  if (!symlink.empty()) archive_entry_set_symlink(entry, symlink.c_str());
  if (!hard_link.empty()) archive_entry_set_hardlink(entry, hard_link.c_str());
  if (rdev != 0) archive_entry_set_rdev(entry, rdev);
  for (const auto& [name, value] : options.xattrs) {
    archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
  }
  archive_entry_set_size(entry, static_cast<la_int64_t>(data.size()));
  EXPECT_EQ(archive_write_header(writer, entry), ARCHIVE_OK) << archive_error_string(writer);
  if (!data.empty()) archive_write_data(writer, data.data(), data.size());
  archive_entry_free(entry);
  archive_write_close(writer);
  archive_write_free(writer);
  // Each entry is written as a tar of its own; dropping the 1024 end bytes chains them, so
  // that entries libarchive would merge or reorder (same path twice) stay as given.
  out_ += one.substr(0, one.size() - 1024);
}

TarBuilder& TarBuilder::file(const std::string& path, const std::string& data, Options options) {
  add(path, AE_IFREG, options, data);
  return *this;
}
TarBuilder& TarBuilder::dir(const std::string& path, Options options) {
  add(path, AE_IFDIR, options);
  return *this;
}
TarBuilder& TarBuilder::symlink(const std::string& path, const std::string& target) {
  add(path, AE_IFLNK, {.mode = 0777}, "", target);
  return *this;
}
TarBuilder& TarBuilder::hard_link(const std::string& path, const std::string& target) {
  add(path, AE_IFREG, {}, "", "", target);
  return *this;
}
TarBuilder& TarBuilder::device(const std::string& path, mode_t type, dev_t rdev, Options options) {
  add(path, type, options, "", "", "", rdev);
  return *this;
}
std::string TarBuilder::finish() { return out_ + std::string(1024, '\0'); }

std::string ustar_header(const std::string& name, size_t size, char type) {
  std::string block(512, '\0');
  std::memcpy(block.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::snprintf(block.data() + 100, 8, "%07o", 0644);
  std::snprintf(block.data() + 108, 8, "%07o", 0);
  std::snprintf(block.data() + 116, 8, "%07o", 0);
  std::snprintf(block.data() + 124, 12, "%011zo", size);
  std::snprintf(block.data() + 136, 12, "%011o", 0);
  block[156] = type;
  std::memcpy(block.data() + 257,
              "ustar\0"
              "00",
              8);
  std::memset(block.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (unsigned char c : block) sum += c;
  std::snprintf(block.data() + 148, 8, "%06o", sum);
  return block;
}

std::string gzip(const std::string& data) {
  z_stream stream = {};
  deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t size = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(size));
  out.resize(size);
  return out;
}

int memfd_with(const std::string& data) {
  int fd = ::memfd_create("layer", MFD_CLOEXEC);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

std::map<std::string, std::string> snapshot(const std::string& root, const std::string& skip) {
  namespace fs = std::filesystem;
  std::map<std::string, std::string> nodes;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    std::string path = it->path().string();
    if (!skip.empty() && path == skip) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat st;
    ::lstat(path.c_str(), &st);
    std::ostringstream description;
    description << std::oct << st.st_mode << " " << std::dec << st.st_size << " " << st.st_nlink;
    if (S_ISLNK(st.st_mode)) description << " -> " << fs::read_symlink(it->path()).string();
    if (S_ISREG(st.st_mode)) {
      std::ifstream in(path);
      description << " " << std::string(std::istreambuf_iterator<char>(in), {});
    }
    nodes[path] = description.str();
  }
  return nodes;
}

}  // namespace quai::image::testing
