#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>

#include <gtest/gtest.h>

#include "image/blob_store.h"
#include "image/compress.h"
#include "image/internal/decompress.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::image {
namespace {

class BlobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char templ[] = "/tmp/quai-blobs.XXXXXX";
    ASSERT_NE(::mkdtemp(templ), nullptr);
    root_ = templ;
  }
  void TearDown() override { ASSERT_TRUE(sys::remove_tree(root_)); }

  // An unnamed file holding `data`, read from the start as a download would be.
  static int stream_of(const std::string& data) {
    int fd = ::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_TRUE(sys::write_all(fd, data));
    ::lseek(fd, 0, SEEK_SET);
    return fd;
  }
  size_t files_in(const std::string& dir) {
    size_t count = 0;
    std::string command = "ls -A " + root_ + "/" + dir + " | wc -l";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (fscanf(pipe, "%zu", &count) != 1) count = 9999;
    ::pclose(pipe);
    return count;
  }

  std::string root_;
};

TEST_F(BlobStoreTest, PutStoresUnderItsDigestAndReadsBack) {
  auto store = BlobStore::open(root_).value();
  auto digest = store.put("hello");
  ASSERT_TRUE(digest) << digest.error().to_string();
  EXPECT_EQ(digest->str(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_TRUE(store.has(*digest));
  EXPECT_EQ(store.read(*digest).value(), "hello");
  EXPECT_TRUE(store.put("hello")) << "storing it again is fine";
  EXPECT_EQ(files_in("blobs/sha256"), 1u);
}

TEST_F(BlobStoreTest, IngestVerifiesDigestAndSize) {
  auto store = BlobStore::open(root_).value();
  std::string data(200000, 'x');
  Digest right = Digest::of(data);
  int fd = stream_of(data);
  auto stored = store.ingest(fd, right, data.size());
  ::close(fd);
  ASSERT_TRUE(stored) << stored.error().to_string();
  EXPECT_EQ(*stored, right);
}

TEST_F(BlobStoreTest, MismatchedContentIsRefusedAndLeavesNothing) {
  auto store = BlobStore::open(root_).value();
  Digest claimed = Digest::of("what the manifest says");
  int fd = stream_of("something else");
  auto stored = store.ingest(fd, claimed);
  ::close(fd);
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().code(), Errc::Corrupt);
  EXPECT_NE(stored.error().to_string().find("digest mismatch"), std::string::npos)
      << stored.error().to_string();
  EXPECT_FALSE(store.has(claimed));
  EXPECT_EQ(files_in("blobs/sha256"), 0u);
  EXPECT_EQ(files_in("tmp"), 0u) << "an unnamed temp file vanishes with its fd";
}

TEST_F(BlobStoreTest, StreamLongerThanAnnouncedIsCutShort) {
  auto store = BlobStore::open(root_).value();
  int fd = stream_of(std::string(100000, 'y'));
  auto stored = store.ingest(fd, std::nullopt, 10);
  ::close(fd);
  ASSERT_FALSE(stored);
  EXPECT_NE(stored.error().to_string().find("more than the announced 10 bytes"), std::string::npos);
  EXPECT_EQ(files_in("blobs/sha256"), 0u);
}

TEST_F(BlobStoreTest, ReadDetectsABlobChangedOnDisk) {
  auto store = BlobStore::open(root_).value();
  Digest digest = store.put("original").value();
  ASSERT_TRUE(sys::write_file_atomic(store.path(digest), "tampered"));
  auto read = store.read(digest);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Errc::Corrupt);
  ASSERT_TRUE(store.remove(digest));
  EXPECT_EQ(store.read(digest).error().code(), Errc::NotFound);
}

TEST_F(BlobStoreTest, WriterStreamsPiecesAndTellsWhetherItCreatedTheBlob) {
  auto store = BlobStore::open(root_).value();
  auto writer = store.writer();
  ASSERT_TRUE(writer) << writer.error().to_string();
  ASSERT_TRUE(writer->write("hel"));
  ASSERT_TRUE(writer->write("lo"));
  EXPECT_EQ(files_in("blobs/sha256"), 0u) << "nothing is visible before the commit";
  auto stored = writer->commit(Digest::of("hello"), 5);
  ASSERT_TRUE(stored) << stored.error().to_string();
  EXPECT_EQ(stored->digest, Digest::of("hello"));
  EXPECT_EQ(stored->size, 5u);
  EXPECT_TRUE(stored->created);
  EXPECT_EQ(store.size(stored->digest).value(), 5u);

  auto again = store.writer().value();
  ASSERT_TRUE(again.write("hello"));
  auto second = again.commit();
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->created) << "the store already held it";
}

TEST_F(BlobStoreTest, WriterRefusesMoreThanItsLimitAndAMismatchedCommit) {
  auto store = BlobStore::open(root_).value();
  auto limited = store.writer(4).value();
  ASSERT_TRUE(limited.write("abcd"));
  auto over = limited.write("e");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Errc::Corrupt);

  auto writer = store.writer().value();
  ASSERT_TRUE(writer.write("data"));
  auto stored = writer.commit(Digest::of("other"));
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().code(), Errc::Corrupt);
  EXPECT_EQ(files_in("blobs/sha256"), 0u);
  EXPECT_EQ(files_in("tmp"), 0u);
}

TEST_F(BlobStoreTest, OpenBlobAndSizeOfAMissingBlobAreNotFound) {
  auto store = BlobStore::open(root_).value();
  EXPECT_EQ(store.open_blob(Digest::of("x")).error().code(), Errc::NotFound);
  EXPECT_EQ(store.size(Digest::of("x")).error().code(), Errc::NotFound);
  Digest digest = store.put("x").value();
  auto fd = store.open_blob(digest);
  ASSERT_TRUE(fd) << fd.error().to_string();
  EXPECT_EQ(sys::read_all(fd->get()).value(), "x");
}

// compress_blob's output reads back as its source: gzip through ISA-L and through zlib,
// and zstd.
TEST_F(BlobStoreTest, CompressedBlobsReadBackAsTheirSource) {
  std::string data(20 << 20, '\0');
  std::mt19937_64 random(42);
  for (size_t i = 0; i < data.size() / 2; i += 8) {
    uint64_t value = random();
    std::memcpy(data.data() + i, &value, 8);
  }
  auto store = BlobStore::open(root_).value();
  Digest source = store.put(data).value();
  struct Case {
    Compression how;
    bool zlib;
  };
  for (Case c : {Case{Compression::Gzip, false}, Case{Compression::Gzip, true},
                 Case{Compression::Zstd, false}}) {
    if (c.zlib) ::setenv("QUAI_NO_ISAL", "1", 1);
    auto blob = compress_blob(store, source, c.how);
    ::unsetenv("QUAI_NO_ISAL");
    ASSERT_TRUE(blob) << blob.error().to_string();
    EXPECT_LT(blob->size, data.size());
    sys::UniqueFd fd = store.open_blob(blob->digest).value();
    auto plain = internal::open_decompressed(fd.get()).value();
    std::string back, buffer(1 << 20, '\0');
    for (;;) {
      size_t n = plain->read(std::span<char>(buffer.data(), buffer.size())).value();
      if (n == 0) break;
      back.append(buffer.data(), n);
    }
    EXPECT_TRUE(back == data) << "zlib=" << c.zlib << " sizes " << back.size();
  }
}

// A push streams the copy while it is made: the tee sees every byte, and learns the digest
// before the blob is synced and named.
TEST_F(BlobStoreTest, CompressionTeeSeesTheBlobAndItsDigestBeforeTheCommit) {
  auto store = BlobStore::open(root_).value();
  Digest source = store.put(std::string(3 << 20, 'q')).value();
  std::string streamed;
  std::optional<Digest> announced;
  bool named_at_end = true;
  CompressionTee tee{[&](std::string_view chunk) -> Status {
                       streamed.append(chunk);
                       return ok();
                     },
                     [&](const Digest& digest, uint64_t size) {
                       announced = digest;
                       named_at_end = store.has(digest);
                       EXPECT_EQ(size, streamed.size());
                     }};
  auto blob = compress_blob(store, source, Compression::Gzip, &tee);
  ASSERT_TRUE(blob) << blob.error().to_string();
  ASSERT_TRUE(announced);
  EXPECT_EQ(*announced, blob->digest);
  EXPECT_FALSE(named_at_end);
  EXPECT_EQ(Digest::of(streamed), blob->digest);
  EXPECT_EQ(store.read(blob->digest).value(), streamed);
}

// A tee that refuses a chunk (the upload failed) stops the compression; nothing is stored.
TEST_F(BlobStoreTest, ARefusingTeeStopsTheCompressionAndStoresNothing) {
  auto store = BlobStore::open(root_).value();
  Digest source = store.put(std::string(3 << 20, 'q')).value();
  CompressionTee tee{[](std::string_view) -> Status { return fail(Errc::Io, "upload gone"); },
                     [](const Digest&, uint64_t) { ADD_FAILURE() << "end after a refusal"; }};
  auto blob = compress_blob(store, source, Compression::Zstd, &tee);
  ASSERT_FALSE(blob);
  EXPECT_NE(blob.error().to_string().find("upload gone"), std::string::npos);
  EXPECT_EQ(files_in("blobs/sha256"), 1u);
}
}  // namespace
}  // namespace quai::image
