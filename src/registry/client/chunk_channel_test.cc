#include "registry/client/chunk_channel.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace quai::registry::client {
namespace {

std::string read_to_end(ChunkChannel& channel, Status* outcome = nullptr) {
  std::string got;
  char buffer[7];  // smaller than the chunks: reads split them
  for (;;) {
    auto n = channel.read(buffer, sizeof buffer);
    if (!n) {
      if (outcome != nullptr) *outcome = fail(n.error());
      return got;
    }
    if (*n == 0) return got;
    got.append(buffer, *n);
  }
}

TEST(ChunkChannelTest, BytesArriveInOrderAcrossThreadsThroughAFullChannel) {
  ChunkChannel channel(2);
  std::string sent;
  std::thread writer([&] {
    for (int i = 0; i < 500; ++i) {
      std::string chunk = std::to_string(i) + ",";
      sent += chunk;
      ASSERT_TRUE(channel.put(chunk));
    }
    channel.close();
  });
  std::string got = read_to_end(channel);
  writer.join();
  EXPECT_EQ(got, sent);
}

TEST(ChunkChannelTest, TheWritersErrorReachesTheReaderAfterTheDataBeforeIt) {
  ChunkChannel channel;
  ASSERT_TRUE(channel.put("abc"));
  channel.close(fail(Errc::Io, "read the layer: disk gone"));
  channel.close();  // only the first close counts
  Status outcome = ok();
  EXPECT_EQ(read_to_end(channel, &outcome), "abc");
  ASSERT_FALSE(outcome);
  EXPECT_EQ(outcome.error().message(), "read the layer: disk gone");
}

TEST(ChunkChannelTest, AnAbandonedChannelStopsAWriterWaitingForRoom) {
  ChunkChannel channel(1);
  ASSERT_TRUE(channel.put("first"));
  Status second = ok();
  std::thread writer([&] { second = channel.put("second"); });  // waits: the channel is full
  channel.abandon();
  writer.join();
  ASSERT_FALSE(second);
  EXPECT_FALSE(channel.put("third"));
}

}  // namespace
}  // namespace quai::registry::client
