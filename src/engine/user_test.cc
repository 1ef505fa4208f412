#include "engine/user.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "sys/fd.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

class ResolveUser : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quai-user-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    ASSERT_TRUE(sys::mkdir_p(dir_ + "/etc"));
    ASSERT_TRUE(sys::write_file_atomic(
        dir_ + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/:/bin/sh\n"));
    ASSERT_TRUE(sys::write_file_atomic(dir_ + "/etc/group", "root:x:0:\nstaff:x:50:app\n"));
    root_ = sys::UniqueFd(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  }
  void TearDown() override { (void)sys::remove_tree(dir_); }

  std::string dir_;
  sys::UniqueFd root_;
};

TEST_F(ResolveUser, NamesAndNumbersResolve) {
  auto app = resolve_user(root_.get(), "app");
  ASSERT_TRUE(app) << app.error().to_string();
  EXPECT_EQ(app->uid, 1000u);
  EXPECT_EQ(app->gid, 1000u);
  EXPECT_EQ(app->additional_gids, std::vector<gid_t>{50});
  auto numeric = resolve_user(root_.get(), "2147483647:staff");
  ASSERT_TRUE(numeric) << numeric.error().to_string();
  EXPECT_EQ(numeric->uid, 2147483647u);
  EXPECT_EQ(numeric->gid, 50u);
}

TEST_F(ResolveUser, UnknownNamesAreRefusedInDockersWords) {
  auto user = resolve_user(root_.get(), "nosuch");
  ASSERT_FALSE(user);
  EXPECT_EQ(user.error().message(),
            "unable to find user nosuch: no matching entries in passwd file");
  auto group = resolve_user(root_.get(), "0:nosuchgroup");
  ASSERT_FALSE(group);
  EXPECT_EQ(group.error().message(),
            "unable to find group nosuchgroup: no matching entries in group file");
}

// (uid_t)-1 means "unchanged" to setresuid(2): the process would stay root.
TEST_F(ResolveUser, IdsOutsideRuncsRangeAreRefused) {
  for (const char* user : {"-1", "4294967295", "4294967296", "2147483648", "0:-1", "0:4294967295",
                           "99999999999999999999"}) {
    auto resolved = resolve_user(root_.get(), user);
    ASSERT_FALSE(resolved) << user;
    EXPECT_EQ(resolved.error().code(), Errc::InvalidArgument) << user;
    EXPECT_EQ(resolved.error().message(), "uids and gids must be in range 0-2147483647") << user;
  }
}

}  // namespace
}  // namespace quai::engine
