#pragma once
// "--user name|uid[:group|gid]" resolved against the container's own /etc/passwd and
// /etc/group, read through the rootfs fd so a hostile image cannot point us elsewhere.

#include <sys/types.h>

#include <string_view>
#include <vector>

#include "base/result.h"

namespace quai::engine {

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;
};

/// InvalidArgument with Docker's words ("unable to find user app: no matching entries in
/// passwd file") when a name is unknown; numeric ids need no entry.
Result<ResolvedUser> resolve_user(int rootfs_fd, std::string_view user);

}  // namespace quai::engine
