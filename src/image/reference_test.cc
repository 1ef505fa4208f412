#include <gtest/gtest.h>

#include "image/reference.h"

namespace quai::image {
namespace {

struct Case {
  const char* input;
  const char* normalized;  // str() of the result
  const char* familiar;
};

TEST(Reference, NormalisesAsDocker) {
  const std::string digest = "sha256:" + std::string(64, 'a');
  const Case cases[] = {
      {"busybox", "docker.io/library/busybox", "busybox"},
      {"busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36"},
      {"user/app", "docker.io/user/app", "user/app"},
      {"docker.io/library/debian:12", "docker.io/library/debian:12", "debian:12"},
      {"index.docker.io/library/debian", "docker.io/library/debian", "debian"},
      {"localhost/app", "localhost/app", "localhost/app"},
      {"localhost:5000/team/app:v2", "localhost:5000/team/app:v2", "localhost:5000/team/app:v2"},
      {"registry.example.com/a/b/c", "registry.example.com/a/b/c", "registry.example.com/a/b/c"},
      {"Example.com/app", "Example.com/app", "Example.com/app"},
      {"[::1]:5000/app", "[::1]:5000/app", "[::1]:5000/app"},
      {"my_app.v2__x-y--z", "docker.io/library/my_app.v2__x-y--z", "my_app.v2__x-y--z"},
  };
  for (const auto& c : cases) {
    auto ref = parse_reference(c.input);
    ASSERT_TRUE(ref) << c.input << ": " << ref.error().to_string();
    EXPECT_EQ(ref->str(), c.normalized) << c.input;
    EXPECT_EQ(ref->familiar_str(), c.familiar) << c.input;
  }
}

TEST(Reference, DigestsAndDefaultTag) {
  std::string hex(64, 'b');
  auto ref = parse_reference("busybox:1@sha256:" + hex);
  ASSERT_TRUE(ref) << ref.error().to_string();
  EXPECT_EQ(ref->tag, "1");
  ASSERT_TRUE(ref->digest);
  EXPECT_EQ(ref->digest->hex(), hex);
  EXPECT_EQ(ref->with_default_tag().tag, "1");
  EXPECT_EQ(parse_reference("busybox")->with_default_tag().str(),
            "docker.io/library/busybox:latest");
  EXPECT_EQ(parse_reference("busybox@sha256:" + hex)->with_default_tag().tag, "")
      << "a digest needs no tag";
}

TEST(Digest, OfNothingIsTheDigestOfNoBytes) { EXPECT_EQ(Digest::of_nothing(), Digest::of("")); }

TEST(Reference, RefusesBadInputWithAReason) {
  const std::pair<std::string, std::string> cases[] = {
      {"", "invalid reference: empty"},
      {"Busybox", "repository name must be lowercase"},
      {"busybox:", "bad tag \"\""},
      {"busybox:-x", "bad tag \"-x\""},
      {"busybox:" + std::string(129, 'a'), "bad tag"},
      {"a//b", "bad name component \"\""},
      {"a/../b", "bad name component \"..\""},
      {"-app", "bad name component \"-app\""},
      {"app.", "bad name component \"app.\""},
      {"a..b", "bad name component \"a..b\""},
      {"busybox@sha256:abc", "sha256 needs 64 lowercase hex digits"},
      {"busybox@md5:" + std::string(32, 'a'), "algorithm \"md5\" is not supported"},
      {std::string(64, 'c'), "is an id, not a name"},
      {"localhost:abc/app", "bad domain \"localhost:abc\""},
      {"example.com/" + std::string(250, 'a'), "longer than 255"},
  };
  for (const auto& [input, reason] : cases) {
    auto ref = parse_reference(input);
    ASSERT_FALSE(ref) << input << " was accepted as " << ref->str();
    EXPECT_NE(ref.error().to_string().find(reason), std::string::npos)
        << input << ": " << ref.error().to_string();
  }
}

TEST(RepositoryName, AcceptsTheSpecGrammar) {
  for (const char* name :
       {"busybox", "library/debian", "a/b/c", "my-app", "my--app", "a.b", "a_b", "a__b", "x9/y0"})
    EXPECT_TRUE(is_valid_repository_path(name)) << name;
}

TEST(RepositoryName, RefusesWhatCouldEscapeOrCollide) {
  for (const char* name : {"", "..", "a/../b", "/abs", "a/", "a//b", "Upper", "a/_layers", "a___b",
                           "-a", "a-", "a.", "a..b", "a b", "a/./b", "a%2fb"})
    EXPECT_FALSE(is_valid_repository_path(name)) << name;
  EXPECT_FALSE(is_valid_repository_path(std::string(256, 'a')));
}

TEST(Tag, FollowsTheSpecGrammar) {
  EXPECT_TRUE(is_valid_tag("latest"));
  EXPECT_TRUE(is_valid_tag("v1.2.3-rc_1"));
  EXPECT_TRUE(is_valid_tag("_x"));
  EXPECT_TRUE(is_valid_tag(std::string(128, 'a')));
  EXPECT_FALSE(is_valid_tag(std::string(129, 'a')));
  EXPECT_FALSE(is_valid_tag(".hidden"));
  EXPECT_FALSE(is_valid_tag("-x"));
  EXPECT_FALSE(is_valid_tag("a/b"));
  EXPECT_FALSE(is_valid_tag("sha256:abc"));
  EXPECT_FALSE(is_valid_tag(""));
}

}  // namespace
}  // namespace quai::image
