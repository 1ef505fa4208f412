#include "engine/user.h"

#include <fcntl.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "base/strings.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

// A passwd or group file is at most this big; a bigger one is not read (hostile image).
constexpr size_t kMaxDatabaseSize = 4 << 20;

// runc's range: (uid_t)-1 would tell setresuid(2) to leave the id unchanged (root).
constexpr uint32_t kMaxId = 2147483647;

std::optional<uint32_t> parse_id(std::string_view text) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > kMaxId)
    return std::nullopt;
  return value;
}

// A user or group given as a number: nullopt for a name, an error for a number out of range.
Result<std::optional<uint32_t>> numeric_id(std::string_view text) {
  std::string_view digits = text.starts_with('-') ? text.substr(1) : text;
  if (digits.empty() || !std::ranges::all_of(digits, [](char c) { return c >= '0' && c <= '9'; }))
    return std::optional<uint32_t>();
  auto id = parse_id(text);
  if (!id) return fail(Errc::InvalidArgument, "uids and gids must be in range 0-{}", kMaxId);
  return id;
}

std::vector<std::vector<std::string>> read_database(int rootfs_fd, const char* path) {
  std::vector<std::vector<std::string>> rows;
  auto fd = sys::open_in_root(rootfs_fd, path, O_RDONLY | O_CLOEXEC);
  if (!fd) return rows;
  auto text = sys::read_all(fd->get());
  if (!text || text->size() > kMaxDatabaseSize) return rows;
  for (auto line : split(*text, '\n')) {
    if (line.empty() || line.starts_with('#')) continue;
    rows.push_back(split(line, ':'));
  }
  return rows;
}

}  // namespace

Result<ResolvedUser> resolve_user(int rootfs_fd, std::string_view user) {
  ResolvedUser resolved;
  if (user.empty()) return resolved;
  auto colon = user.find(':');
  std::string_view user_part = user.substr(0, colon);
  std::string_view group_part = colon == std::string_view::npos ? "" : user.substr(colon + 1);

  auto passwd = read_database(rootfs_fd, "/etc/passwd");
  std::string user_name;
  if (auto uid = TRY(numeric_id(user_part))) {
    resolved.uid = *uid;
    for (const auto& row : passwd) {
      if (row.size() >= 4 && parse_id(row[2]) == *uid) {
        resolved.gid = parse_id(row[3]).value_or(0);
        user_name = row[0];
      }
    }
  } else {
    bool found = false;
    for (const auto& row : passwd) {
      if (row.size() < 4 || row[0] != user_part) continue;
      resolved.uid = parse_id(row[2]).value_or(0);
      resolved.gid = parse_id(row[3]).value_or(0);
      user_name = row[0];
      found = true;
      break;
    }
    if (!found) {
      return fail(Errc::InvalidArgument,
                  "unable to find user {}: no matching entries in passwd file", user_part);
    }
  }

  auto groups = read_database(rootfs_fd, "/etc/group");
  if (!group_part.empty()) {
    if (auto gid = TRY(numeric_id(group_part))) {
      resolved.gid = *gid;
    } else {
      auto match = std::ranges::find_if(
          groups, [&](const auto& row) { return row.size() >= 3 && row[0] == group_part; });
      if (match == groups.end()) {
        return fail(Errc::InvalidArgument,
                    "unable to find group {}: no matching entries in group file", group_part);
      }
      resolved.gid = parse_id((*match)[2]).value_or(0);
    }
  }
  for (const auto& row : groups) {
    if (row.size() < 4 || user_name.empty()) continue;
    for (auto member : split(row[3], ',')) {
      auto gid = parse_id(row[2]);
      if (member == user_name && gid && *gid != resolved.gid)
        resolved.additional_gids.push_back(*gid);
    }
  }
  return resolved;
}

}  // namespace quai::engine
