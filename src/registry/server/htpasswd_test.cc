#include "registry/server/htpasswd.h"

#include <gtest/gtest.h>

namespace quai::registry::server {
namespace {

constexpr std::string_view kUsers =
    "# team\n"
    "user:$2y$04$USgMq4Ps2CywNucK0g7QUuNoa6YohNJgsIn0MaMfYmprn.rkWgjNa\n";

TEST(Htpasswd, AllowsTheRightPasswordOnly) {
  auto users = Htpasswd::parse(kUsers, "users");
  ASSERT_TRUE(users) << users.error().to_string();
  EXPECT_TRUE(users->allows("Basic dXNlcjpzZWNyZXQ="));   // user:secret
  EXPECT_TRUE(users->allows("basic dXNlcjpzZWNyZXQ="));   // remembered, any case of scheme
  EXPECT_FALSE(users->allows("Basic dXNlcjpzZWNyZXU="));  // user:secreu
  EXPECT_FALSE(users->allows("Basic b3RoZXI6c2VjcmV0"));  // other:secret
  EXPECT_FALSE(users->allows("Bearer dXNlcjpzZWNyZXQ="));
  EXPECT_FALSE(users->allows("Basic !!!"));
  EXPECT_FALSE(users->allows(""));
}

TEST(Htpasswd, RefusesWeakOrMalformedEntriesNamingTheLine) {
  auto md5 = Htpasswd::parse("# x\nuser:$apr1$abc$def\n", "/etc/quai/htpasswd");
  ASSERT_FALSE(md5);
  EXPECT_NE(md5.error().to_string().find("/etc/quai/htpasswd:2:"), std::string::npos)
      << md5.error().to_string();
  EXPECT_FALSE(Htpasswd::parse("no-colon\n", "f"));
  EXPECT_FALSE(Htpasswd::parse(":$2y$04$x\n", "f"));
}

}  // namespace
}  // namespace quai::registry::server
