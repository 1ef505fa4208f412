#include "engine/copy.h"

#include <fcntl.h>
#include <unistd.h>

#include "engine/internal/container_root.h"
#include "engine/internal/tree_copy.h"
#include "sys/fs.h"

namespace quai::engine {
namespace {

using internal::Located;
using internal::RootAccess;

// "SRC/." copies a directory's content rather than the directory.
bool names_content(const std::string& path) { return path == "." || path.ends_with("/."); }

struct Source {
  Located node;
  std::string tar_name;  // the source's own name, or "." for its content
};

struct Destination {
  sys::UniqueFd dir;
  std::string tar_name;
};

// `place` says where the path is, for errors: "in container web" or "on the host".
Result<Source> find_source(int root_fd, const std::string& path, bool follow_link,
                           const std::string& place) {
  bool content = names_content(path) || sys::clean_path(path) == "/";
  bool slash = path.ends_with('/');
  auto node = internal::locate_in_root(root_fd, path, follow_link || content || slash);
  if ((!node && node.error().code() == Errc::NotFound) || (node && !node->exists)) {
    return fail(Errc::NotFound, "Could not find the file {} {}", path, place);
  }
  if (!node) return fail(std::move(node).error());
  if ((content || slash) && !node->is_directory) {
    return fail(Errc::InvalidArgument, "\"{}\" {}: not a directory", path, place);
  }
  std::string clean = sys::clean_path(path);
  std::string name = content ? "." : clean.substr(clean.rfind('/') + 1);
  return Source{std::move(*node), std::move(name)};
}

// Docker's rules for where SRC lands at DEST.
Result<Destination> find_destination(int root_fd, const std::string& path, const Source& source) {
  bool slash = path.ends_with('/') || names_content(path);
  auto node = internal::locate_in_root(root_fd, path, true);
  if (!node && node.error().code() == Errc::NotFound) {
    return fail(Errc::NotFound, "no such directory: \"{}\"", path);
  }
  if (!node) return fail(std::move(node).error());
  if (node->exists && node->is_directory) {
    sys::UniqueFd dir(::openat(node->parent.get(), node->name.c_str(),
                               O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir) return fail_errno(errno, "open \"{}\"", node->path);
    return Destination{std::move(dir), source.tar_name};
  }
  if (source.node.is_directory && node->exists) {
    return fail(Errc::InvalidArgument, "cannot copy a directory to a file: \"{}\"", path);
  }
  if (slash) {
    if (node->exists) return fail(Errc::InvalidArgument, "\"{}\": not a directory", path);
    if (!source.node.is_directory) {
      return fail(Errc::NotFound, "destination directory \"{}\" must exist", path);
    }
  }
  return Destination{std::move(node->parent), node->name};
}

// Relative host paths are the caller's; a trailing "/" or "/." keeps its meaning.
std::string host_path(const std::string& path) {
  return path.starts_with('/') ? path : sys::absolute_path(".") + "/" + path;
}

Result<sys::UniqueFd> open_host_root() {
  sys::UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root) return fail_errno(errno, "open \"/\"");
  return root;
}

Result<sys::UniqueFd> open_directory(int root_fd, const std::string& path) {
  auto node = TRY(internal::locate_in_root(root_fd, path, true));
  if (!node.exists || !node.is_directory) {
    return fail(Errc::InvalidArgument, "destination \"{}\" must be a directory", path);
  }
  sys::UniqueFd dir(::openat(node.parent.get(), node.name.c_str(),
                             O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) return fail_errno(errno, "open \"{}\"", node.path);
  return dir;
}

}  // namespace

Status copy_from_container(Engine& engine, std::string_view container, const std::string& src,
                           const std::string& dest, const CopyOptions& options, int out_fd) {
  auto view = TRY(engine.find_container(container));
  std::string place = "in container " + view.record.name;
  if (dest == "-") {
    return internal::with_container_root(engine, view, RootAccess::Read, [&](int root) -> Status {
      auto source = TRY(find_source(root, src, options.follow_link, place));
      return image::pack_path(source.node.parent.get(), source.node.name, source.tar_name, out_fd,
                              "\"" + src + "\"");
    });
  }
  auto host_root = TRY(open_host_root());
  image::UnpackOptions unpack = internal::plain_tree_options();
  if (!options.archive) unpack.owner = std::make_pair(::geteuid(), ::getegid());
  return internal::with_container_root(engine, view, RootAccess::Read, [&](int root) -> Status {
    auto source = TRY(find_source(root, src, options.follow_link, place));
    auto target = TRY(find_destination(host_root.get(), host_path(dest), source));
    return internal::copy_tree(source.node, target.tar_name, target.dir.get(), unpack);
  });
}

Status copy_to_container(Engine& engine, const std::string& src, std::string_view container,
                         const std::string& dest, const CopyOptions& options, int in_fd) {
  auto view = TRY(engine.find_container(container));
  image::UnpackOptions unpack = internal::plain_tree_options();
  // The container's root, as Docker chowns to it without -a.
  if (!options.archive) unpack.owner = std::pair<uid_t, gid_t>(0, 0);
  if (src == "-") {
    return internal::with_container_root(engine, view, RootAccess::Write, [&](int root) -> Status {
      auto dir = TRY(open_directory(root, dest));
      TRY(image::unpack_layer(in_fd, dir.get(), unpack, "tar stream"));
      return ok();
    });
  }
  auto host_root = TRY(open_host_root());
  std::string from = host_path(src);
  return internal::with_container_root(engine, view, RootAccess::Write, [&](int root) -> Status {
    auto source = TRY(find_source(host_root.get(), from, options.follow_link, "on the host"));
    auto target = TRY(find_destination(root, dest, source));
    return internal::copy_tree(source.node, target.tar_name, target.dir.get(), unpack);
  });
}

}  // namespace quai::engine
