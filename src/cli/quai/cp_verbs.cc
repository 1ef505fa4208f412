// cp: files between a container and the host, or a tar stream on stdin/stdout.

#include <unistd.h>

#include "cli/quai/verbs.h"
#include "engine/copy.h"

namespace quai::cli {
namespace {

struct CopyArg {
  std::string container;  // empty: a host path (or "-")
  std::string path;
};

// Docker's splitCpArg: an absolute path or one starting with "." is local, even with a
// ':' in it; otherwise CONTAINER:PATH when there is a ':'.
CopyArg split_copy_arg(const std::string& arg) {
  size_t colon = arg.find(':');
  if (arg.starts_with('/') || arg.starts_with('.') || colon == std::string::npos) return {"", arg};
  return {arg.substr(0, colon), arg.substr(colon + 1)};
}

Result<int> copy(Globals& globals, const std::string& src_arg, const std::string& dest_arg,
                 const engine::CopyOptions& options) {
  CopyArg src = split_copy_arg(src_arg);
  CopyArg dest = split_copy_arg(dest_arg);
  if (src.container.empty() == dest.container.empty()) {
    return fail(Errc::InvalidArgument, "{}",
                src.container.empty() ? "must specify at least one container source"
                                      : "copying between containers is not supported");
  }
  if ((src.container.empty() ? dest.path : src.path).empty())
    return fail(Errc::InvalidArgument, "filepath cannot be empty");
  auto engine = TRY(open_engine(globals));
  if (!src.container.empty()) {
    TRY(engine::copy_from_container(engine, src.container, src.path, dest.path, options,
                                    STDOUT_FILENO));
  } else {
    TRY(engine::copy_to_container(engine, src.path, dest.container, dest.path, options,
                                  STDIN_FILENO));
  }
  return 0;
}

}  // namespace

void add_cp_verbs(CLI::App& app, Globals& globals, Action& action) {
  static std::string src, dest;
  static engine::CopyOptions options;
  static bool quiet = false;
  auto* cp =
      app.add_subcommand("cp", "Copy files/folders between a container and the local filesystem");
  cp->add_option("SRC", src, "CONTAINER:SRC_PATH, a local path, or - for a tar on stdin")
      ->required();
  cp->add_option("DEST", dest, "CONTAINER:DEST_PATH, a local path, or - for a tar on stdout")
      ->required();
  cp->add_flag("-a,--archive", options.archive, "Archive mode (copy all uid/gid information)");
  cp->add_flag("-L,--follow-link", options.follow_link, "Always follow symbol link in SRC_PATH");
  cp->add_flag("-q,--quiet", quiet, "Suppress progress output");
  cp->callback([&] { action = [&] { return copy(globals, src, dest, options); }; });
}

}  // namespace quai::cli
