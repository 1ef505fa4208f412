// Finding and walking COPY's sources (build/context.h).

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/openat2.h>
#include <unistd.h>

#include <algorithm>

#include "base/strings.h"
#include "build/context.h"
#include "sys/syscalls.h"

namespace quai::build {
namespace {

bool has_wildcard(std::string_view text) { return text.find_first_of("*?[") != std::string::npos; }

// "./a//b/../c" → "a/c"; InvalidArgument when it climbs above the root.
Result<std::string> clean_relative(const std::string& pattern) {
  std::vector<std::string> parts;
  for (const auto& part : split(pattern, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty())
        return fail(Errc::InvalidArgument, "forbidden path outside the build context: {}", pattern);
      parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  return join(parts, "/");
}

bool dropped(const SourceTree& tree, const std::string& path) {
  if (path.empty()) return false;
  return (tree.ignore && tree.ignore->excluded(path));
}

Result<Source> open_source(const SourceTree& tree, const std::string& path,
                           const std::string& pattern) {
  uint64_t resolve = RESOLVE_NO_MAGICLINKS |
                     (tree.kind == SourceRoot::Context ? RESOLVE_BENEATH : RESOLVE_IN_ROOT);
  auto fd = sys::openat2(tree.fd, path.empty() ? "." : path, O_PATH | O_CLOEXEC, resolve);
  if (!fd) {
    int e = fd.error().sys_errno();
    if (e == ENOENT || e == ENOTDIR) return fail(Errc::NotFound, "\"{}\": not found", pattern);
    if (e == EXDEV)
      return fail(Errc::InvalidArgument, "\"{}\": a symlink leads outside the build context",
                  pattern);
    return std::unexpected(fd.error());
  }
  Source source{path, std::move(*fd), {}};
  if (::fstat(source.fd.get(), &source.st) != 0) return fail_errno(errno, "stat \"{}\"", pattern);
  return source;
}

Result<std::vector<std::string>> list_names(int dir_fd, const std::string& shown) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail_errno(errno, "open directory \"{}\"", shown);
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    ::close(fd);
    return fail_errno(errno, "open directory \"{}\"", shown);
  }
  std::vector<std::string> names;
  while (auto* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  std::ranges::sort(names);
  return names;
}

// Expands wildcards one component at a time, in the tree.
Result<std::vector<std::string>> match_paths(const SourceTree& tree, const std::string& cleaned) {
  std::vector<std::string> found = {""};
  for (const auto& part : split(cleaned, '/')) {
    std::vector<std::string> next;
    for (const auto& base : found) {
      std::string prefix = base.empty() ? "" : base + "/";
      if (!has_wildcard(part)) {
        next.push_back(prefix + part);
        continue;
      }
      auto dir = open_source(tree, base, base);
      if (!dir || !S_ISDIR(dir->st.st_mode)) continue;
      for (const auto& name : TRY(list_names(dir->fd.get(), base))) {
        if (::fnmatch(part.c_str(), name.c_str(), FNM_PATHNAME) == 0 &&
            !dropped(tree, prefix + name))
          next.push_back(prefix + name);
      }
    }
    found = std::move(next);
  }
  return found;
}

Status walk_directory(const SourceTree& tree, const std::string& tree_path, const std::string& path,
                      int dir_fd, const std::function<Status(const WalkEntry&)>& visit) {
  for (const auto& name : TRY(list_names(dir_fd, tree_path))) {
    std::string child_tree = tree_path.empty() ? name : tree_path + "/" + name;
    std::string child = path.empty() ? name : path + "/" + name;
    WalkEntry entry{child, dir_fd, name, {}, {}};
    if (::fstatat(dir_fd, name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0)
      return fail_errno(errno, "stat \"{}\"", child_tree);
    bool is_dir = S_ISDIR(entry.st.st_mode);
    bool skip = dropped(tree, child_tree) || (tree.exclude && tree.exclude->excluded(child));
    if (skip) {
      bool descend = is_dir && ((tree.ignore && tree.ignore->may_include_below(child_tree)) ||
                                (tree.exclude && tree.exclude->may_include_below(child)));
      if (!descend) continue;
    }
    if (S_ISLNK(entry.st.st_mode)) {
      char target[4096];
      ssize_t n = ::readlinkat(dir_fd, name.c_str(), target, sizeof target);
      if (n < 0) return fail_errno(errno, "readlink \"{}\"", child_tree);
      entry.link_target.assign(target, static_cast<size_t>(n));
    }
    TRY(visit(entry));
    if (!is_dir) continue;
    sys::UniqueFd sub(
        ::openat(dir_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub) return fail_errno(errno, "open \"{}\"", child_tree);
    TRY(walk_directory(tree, child_tree, child, sub.get(), visit));
  }
  return ok();
}

}  // namespace

Result<std::vector<Source>> find_sources(const SourceTree& tree, const std::string& pattern) {
  if (tree.fd < 0)
    return fail(Errc::InvalidArgument, "\"{}\": the build has no context (it was given as -)",
                pattern);
  std::string cleaned = TRY(clean_relative(pattern));
  std::vector<Source> sources;
  if (!has_wildcard(cleaned)) {
    if (dropped(tree, cleaned)) return fail(Errc::NotFound, "\"{}\": not found", pattern);
    sources.push_back(TRY(open_source(tree, cleaned, pattern)));
    return sources;
  }
  for (const auto& path : TRY(match_paths(tree, cleaned)))
    sources.push_back(TRY(open_source(tree, path, pattern)));
  return sources;
}

Status walk_source(const SourceTree& tree, const Source& source,
                   const std::function<Status(const WalkEntry&)>& visit) {
  WalkEntry top{"", source.fd.get(), "", source.st, {}};
  TRY(visit(top));
  if (!S_ISDIR(source.st.st_mode)) return ok();
  return walk_directory(tree, source.path, "", source.fd.get(), visit);
}

}  // namespace quai::build
