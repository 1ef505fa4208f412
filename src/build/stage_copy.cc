// COPY and ADD (build/internal/session.h).

#include <archive.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "base/sha256.h"
#include "base/strings.h"
#include "build/fetch.h"
#include "build/internal/session.h"
#include "engine/user.h"
#include "image/layer.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::build::internal {
namespace {

struct CopyPlan {
  std::vector<std::string> patterns;  // as expanded, heredoc words apart
  std::vector<const Heredoc*> heredocs;
  std::string dest;
  bool dest_is_dir = false;  // ends in '/', or several sources
  std::optional<std::string> from;
  std::optional<std::string> chown;
  std::optional<mode_t> chmod;
  std::vector<std::string> exclude;
};

const Heredoc* heredoc_named(const Instruction& instruction, const std::string& word) {
  if (!word.starts_with("<<")) return nullptr;
  for (const auto& heredoc : instruction.heredocs) {
    std::string name = word.substr(word.find_first_not_of("<-"));
    if (name.size() >= 2 && (name.front() == '"' || name.front() == '\''))
      name = name.substr(1, name.size() - 2);
    if (name == heredoc.name) return &heredoc;
  }
  return nullptr;
}

Result<mode_t> parse_chmod(const std::string& text) {
  if (text.empty() || text.size() > 4 || text.find_first_not_of("01234567") != std::string::npos)
    return fail(Errc::InvalidArgument, "--chmod={}: expected an octal mode such as 755", text);
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

// A local file ADD unpacks: a tar, plain or compressed (libarchive tells).
bool is_archive(int fd) {
  struct archive* reader = archive_read_new();
  // The compressions Docker's ADD unpacks (and zstd); not _all, which needs liblz4 and more.
  archive_read_support_filter_gzip(reader);
  archive_read_support_filter_bzip2(reader);
  archive_read_support_filter_xz(reader);
  archive_read_support_filter_zstd(reader);
  archive_read_support_format_tar(reader);
  int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  bool tar = false;
  if (dup >= 0 && archive_read_open_fd(reader, dup, 65536) == ARCHIVE_OK) {
    struct archive_entry* entry;
    tar = archive_read_next_header(reader, &entry) == ARCHIVE_OK;
  }
  archive_read_free(reader);
  if (dup >= 0) ::close(dup);
  return tar;
}

Result<sys::UniqueFd> open_readable(const Source& source) {
  sys::UniqueFd fd(::open(sys::fd_path(source.fd.get()).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", source.path);
  return fd;
}

Status extract_archive(const Source& source, int root_fd, const std::string& dest,
                       const CopyRules& rules, bool chown_given) {
  auto fd = TRY(open_readable(source));
  auto dir = TRY(sys::make_path_in_root(root_fd, dest, sys::NodeKind::Directory));
  sys::UniqueFd dir_fd(::openat(dir.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno(errno, "open \"{}\"", dest);
  image::UnpackOptions options;
  options.whiteouts = false;
  options.keep_directory_kinds = true;
  if (chown_given) options.owner = std::make_pair(rules.uid, rules.gid);
  TRY_CTX(image::unpack_layer(fd.get(), dir_fd.get(), options, source.path), "unpack \"{}\"",
          source.path);
  return ok();
}

std::string join_dest(const std::string& dir, const std::string& name) {
  return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

bool is_directory_in_root(int root_fd, const std::string& path) {
  auto fd = sys::open_in_root(root_fd, path);
  struct stat st;
  return fd && ::fstat(fd->get(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_url(const std::string& source) {
  return source.starts_with("http://") || source.starts_with("https://");
}

// A file ADD fetched, in a dir of its own under the build's work dir.
struct FetchedSource {
  std::string url;
  std::string name;  // from the URL: what the file is called in a destination dir
  sys::UniqueFd dir;
  Source source;
  SourceTree tree() const { return SourceTree{dir.get(), SourceRoot::Context, nullptr, nullptr}; }
};

Result<FetchedSource> fetch_source(const std::string& work_dir, const std::string& url) {
  std::string dir = work_dir + "/download-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) return fail_errno(errno, "mkdtemp \"{}\"", dir);
  auto downloaded = TRY(download(url, dir));
  FetchedSource fetched;
  fetched.url = url;
  fetched.name = downloaded.file_name;
  fetched.dir.reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fetched.dir) return fail_errno(errno, "open \"{}\"", dir);
  std::string in_dir = downloaded.path.substr(dir.size() + 1);
  auto found = TRY(find_sources(fetched.tree(), in_dir));
  fetched.source = std::move(found.at(0));
  return fetched;
}

}  // namespace

Status StageBuilder::on_copy(const Instruction& instruction) {
  return copy_step(instruction, false);
}
Status StageBuilder::on_add(const Instruction& instruction) { return copy_step(instruction, true); }

Status StageBuilder::copy_step(const Instruction& instruction, bool add) {
  std::string keyword = add ? "ADD" : "COPY";
  auto at = [&](const Error& e) { return fail(error_at(instruction, e)); };
  if (instruction.args.size() < 2)
    return fail(instruction_error(*session_.dockerfile, instruction,
                                  "{} requires at least two arguments", keyword));
  if (instruction.flag("parents"))
    return fail(instruction_error(*session_.dockerfile, instruction,
                                  "{} --parents is not supported", keyword));
  CopyPlan plan;
  for (size_t i = 0; i + 1 < instruction.args.size(); ++i) {
    if (const Heredoc* heredoc =
            instruction.json_form ? nullptr : heredoc_named(instruction, instruction.args[i])) {
      plan.heredocs.push_back(heredoc);
    } else {
      plan.patterns.push_back(TRY(expand(instruction, instruction.args[i])));
    }
  }
  plan.dest = TRY(expand(instruction, instruction.args.back()));
  std::string workdir = config().value("WorkingDir", std::string("/"));
  if (!plan.dest.starts_with('/'))
    plan.dest = join_dest(workdir.empty() ? "/" : workdir, plan.dest);
  if (auto from = instruction.flag("from")) plan.from = TRY(expand(instruction, *from));
  if (auto chown = instruction.flag("chown")) plan.chown = TRY(expand(instruction, *chown));
  if (auto chmod = instruction.flag("chmod")) {
    auto mode = parse_chmod(TRY(expand(instruction, *chmod)));
    if (!mode) return at(mode.error());
    plan.chmod = *mode;
  }
  for (const auto& pattern : instruction.flag_values("exclude"))
    plan.exclude.push_back(TRY(expand(instruction, pattern)));
  // ADD's URLs are fetched now: their content is part of the step's key.
  std::vector<FetchedSource> fetched;
  if (add && !plan.from) {
    for (auto it = plan.patterns.begin(); it != plan.patterns.end();) {
      if (!is_url(*it)) {
        ++it;
        continue;
      }
      auto one = fetch_source(session_.work_dir, *it);
      if (!one) return at(one.error().add_context("ADD"));
      fetched.push_back(std::move(*one));
      it = plan.patterns.erase(it);
    }
  }
  auto exclude = IgnoreMatcher::from_patterns(plan.exclude);
  if (!exclude) return at(exclude.error());

  // What the step reads: the context (hashed now, for the key) or an image (its id).
  std::optional<image::ImageRecord> from_image;
  SourceTree context = session_.context;
  context.exclude = &*exclude;
  std::vector<Source> sources;
  std::string material = fmt::format("{} {} dest={} chown={} chmod={} exclude={}", keyword,
                                     Json(plan.patterns).dump(), plan.dest, plan.chown.value_or(""),
                                     plan.chmod.value_or(0), Json(plan.exclude).dump());
  for (const Heredoc* heredoc : plan.heredocs) {
    std::string content =
        heredoc->expand ? TRY(expand(instruction, heredoc->content)) : heredoc->content;
    material += "\nheredoc " + heredoc->name + " " + sha256_hex(content);
  }
  if (plan.from) {
    auto image = session_.source_image(stage_, *plan.from);
    if (!image) return at(image.error().add_context(fmt::format("--from={}", *plan.from)));
    from_image = *image;
    material += "\nfrom " + image->id.str();
  } else {
    for (const auto& pattern : plan.patterns) {
      auto found = find_sources(context, pattern);
      if (!found) return at(found.error());
      for (auto& source : *found) {
        auto hash = hash_source(context, source);
        if (!hash) return at(hash.error());
        material += "\n" + source.path + " " + *hash;
        sources.push_back(std::move(source));
      }
    }
  }
  for (const auto& one : fetched)
    material += "\nurl " + one.url + " " + TRY(hash_source(one.tree(), one.source));
  size_t count =
      plan.heredocs.size() + fetched.size() + (plan.from ? plan.patterns.size() : sources.size());
  plan.dest_is_dir = plan.dest.ends_with('/');
  if (count > 1 && !plan.dest_is_dir) {
    return fail(instruction_error(*session_.dockerfile, instruction,
                                  "When using {} with more than one source file, the destination "
                                  "must be a directory and end with a /",
                                  keyword));
  }
  std::string created_by = fmt::format("/bin/sh -c #(nop) {} {} in {} ", keyword,
                                       sha256_hex(material).substr(0, 16), plan.dest);
  return layer_step(
      instruction, material, created_by, [&](const engine::StepRoot& root, int) -> Status {
        sys::UniqueFd rootfs(::open(root.rootfs().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!rootfs) return fail_errno(errno, "open \"{}\"", root.rootfs());
        CopyRules rules;
        if (plan.chown) {
          auto user =
              TRY_CTX(engine::resolve_user(rootfs.get(), *plan.chown), "--chown={}", *plan.chown);
          rules.uid = user.uid;
          rules.gid = user.gid;
        }
        rules.chmod = plan.chmod;
        bool into_dir = plan.dest_is_dir || is_directory_in_root(rootfs.get(), plan.dest);
        sys::UniqueFd view_fd;
        SourceTree tree = context;
        if (from_image) {
          std::vector<std::string> lowers;
          for (const auto& layer : TRY(session_.store().layers(*from_image)))
            lowers.push_back(layer.path);
          std::string view = root.dir + "/from";
          TRY(engine::mount_image_view(view, lowers));
          view_fd.reset(::open(view.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
          if (!view_fd) return fail_errno(errno, "open \"{}\"", view);
          tree = SourceTree{view_fd.get(), SourceRoot::Image, nullptr, &*exclude};
          for (const auto& pattern : plan.patterns) {
            for (auto& source : TRY(find_sources(tree, pattern)))
              sources.push_back(std::move(source));
          }
          if (sources.size() + plan.heredocs.size() > 1 && !plan.dest_is_dir) {
            return fail(Errc::InvalidArgument,
                        "When using {} with more than one source file, the destination must be a "
                        "directory and end with a /",
                        keyword);
          }
        }
        for (const auto& source : sources) {
          if (S_ISDIR(source.st.st_mode)) {
            TRY(copy_source(tree, source, rootfs.get(), plan.dest, rules));
            continue;
          }
          if (add && !from_image && S_ISREG(source.st.st_mode)) {
            auto fd = TRY(open_readable(source));
            if (is_archive(fd.get())) {
              TRY(extract_archive(source, rootfs.get(), plan.dest, rules, plan.chown.has_value()));
              continue;
            }
          }
          std::string name = source.path.substr(source.path.rfind('/') + 1);
          TRY(copy_source(tree, source, rootfs.get(),
                          into_dir ? join_dest(plan.dest, name) : plan.dest, rules));
        }
        for (const auto& one : fetched) {
          if (into_dir && one.name.empty()) {
            return fail(Errc::InvalidArgument,
                        "ADD {}: no file name in the URL; give the destination as a file path",
                        one.url);
          }
          TRY(copy_source(one.tree(), one.source, rootfs.get(),
                          into_dir ? join_dest(plan.dest, one.name) : plan.dest, rules));
        }
        for (const Heredoc* heredoc : plan.heredocs) {
          std::string content =
              heredoc->expand ? TRY(expand(instruction, heredoc->content)) : heredoc->content;
          std::string target = into_dir ? join_dest(plan.dest, heredoc->name) : plan.dest;
          auto file = TRY(sys::make_path_in_root(rootfs.get(), target, sys::NodeKind::File, 0644));
          sys::UniqueFd out(
              ::open(sys::fd_path(file.get()).c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
          if (!out) return fail_errno(errno, "open \"{}\"", target);
          TRY(sys::write_all(out.get(), content));
          if (::fchown(out.get(), rules.uid, rules.gid) != 0)
            return fail_errno(errno, "chown \"{}\"", target);
          if (::fchmod(out.get(), rules.chmod.value_or(0644)) != 0)
            return fail_errno(errno, "chmod \"{}\"", target);
        }
        return ok();
      });
}

}  // namespace quai::build::internal
