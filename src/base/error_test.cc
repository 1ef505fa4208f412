#include <cerrno>

#include <gtest/gtest.h>

#include "base/result.h"

namespace quai {
namespace {

Result<int> fails_with_enoent() { return fail_errno(ENOENT, "open \"{}\"", "/x"); }

Result<int> adds_context() {
  int value = TRY_CTX(fails_with_enoent(), "create container \"{}\"", "web");
  return value + 1;
}

Result<int> passes_value_through() {
  Result<int> inner = 41;
  int value = TRY(inner);
  return value + 1;
}

TEST(Error, RendersContextOutermostFirstWithStrerror) {
  auto result = adds_context();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().to_string(),
            "create container \"web\": open \"/x\": No such file or directory");
  EXPECT_EQ(result.error().code(), Errc::NotFound);
  EXPECT_EQ(result.error().sys_errno(), ENOENT);
}

TEST(Error, TryPassesValuesThrough) { EXPECT_EQ(passes_value_through().value(), 42); }

TEST(Error, ErrnoMapsToCodes) {
  EXPECT_EQ(errc_from_errno(EEXIST), Errc::AlreadyExists);
  EXPECT_EQ(errc_from_errno(EPERM), Errc::PermissionDenied);
  EXPECT_EQ(errc_from_errno(EBUSY), Errc::Busy);
  EXPECT_EQ(errc_from_errno(EIO), Errc::Io);
}

}  // namespace
}  // namespace quai
