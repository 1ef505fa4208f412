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

Result<StoredBlob> ImageStore::compressed_copy(const Digest& source, Compression how) {
  std::string record = fmt::format("{}/{}/{}", compressed_dir(), algorithm_name(how), source.hex());
  if (auto known = sys::read_file(record)) {
    if (auto digest = Digest::parse(*known); digest && blobs_.has(*digest))
      return StoredBlob{*digest, TRY(blobs_.size(*digest)), false};
  }
  StoredBlob copy = TRY(compress_blob(blobs_, source, how));
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
