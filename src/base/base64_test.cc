#include "base/base64.h"

#include <gtest/gtest.h>

namespace quai {
namespace {

TEST(Base64, RoundTripsWithPadding) {
  EXPECT_EQ(base64_encode("user:secret"), "dXNlcjpzZWNyZXQ=");
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(base64_decode("dXNlcjpzZWNyZXQ="), "user:secret");
  EXPECT_EQ(base64_decode("YWI="), "ab");
  EXPECT_EQ(base64_decode("YWJj"), "abc");
  EXPECT_EQ(base64_decode(""), "");
}

TEST(Base64, RefusesWhatIsNotBase64) {
  EXPECT_FALSE(base64_decode("!!!!"));
  EXPECT_FALSE(base64_decode("abc"));
}

}  // namespace
}  // namespace quai
