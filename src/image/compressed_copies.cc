// Compressed copies of layer blobs, made for pushes: <root>/compressed/<gzip|zstd>/<hex of
// the source blob> holds the copy's digest. A copy lives as long as its source: GC and the
// store check count it as referenced while the source is, and drop the record with it.

#include <unistd.h>

#include "image/compress.h"
#include "image/image_store.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

constexpr std::pair<Compression, const char*> kAlgorithms[] = {{Compression::Gzip, "gzip"},
                                                               {Compression::Zstd, "zstd"}};

const char* algorithm_name(Compression how) {
  for (const auto& [compression, name] : kAlgorithms)
    if (compression == how) return name;
  return "";
}

}  // namespace

std::string ImageStore::compressed_copy_record(const Digest& source, Compression how) const {
  return fmt::format("{}/{}/{}", compressed_dir(), algorithm_name(how), source.hex());
}

std::optional<StoredBlob> ImageStore::existing_compressed_copy(const Digest& source,
                                                               Compression how) const {
  auto known = sys::read_file(compressed_copy_record(source, how));
  if (!known) return std::nullopt;
  auto digest = Digest::parse(*known);
  if (!digest || !blobs_.has(*digest)) return std::nullopt;
  auto size = blobs_.size(*digest);
  if (!size) return std::nullopt;
  return StoredBlob{*digest, *size, false};
}

Result<StoredBlob> ImageStore::make_compressed_copy(const Digest& source, Compression how,
                                                    const CompressionTee* tee) {
  StoredBlob copy = TRY(compress_blob(blobs_, source, how, tee));
  std::string record = compressed_copy_record(source, how);
  TRY(sys::mkdir_p(record.substr(0, record.rfind('/'))));
  TRY(sys::write_file_atomic(record, copy.digest.str()));
  return copy;
}

std::set<Digest> ImageStore::compressed_copies(const std::set<Digest>& sources,
                                               bool drop_others) const {
  std::set<Digest> copies;
  for (const auto& [compression, name] : kAlgorithms) {
    std::string dir = fmt::format("{}/{}", compressed_dir(), name);
    for (const auto& hex : sys::list_directory(dir).value_or(std::vector<std::string>{})) {
      auto copy = sys::read_file(dir + "/" + hex);
      auto digest = copy ? Digest::parse(*copy) : Result<Digest>(fail(Errc::Corrupt, ""));
      if (sources.contains(Digest::from_hex(hex)) && digest) {
        copies.insert(*digest);
      } else if (drop_others) {
        ::unlink((dir + "/" + hex).c_str());
      }
    }
  }
  return copies;
}

}  // namespace quai::image
