// build, builder prune.

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>

#include "base/strings.h"
#include "build/builder.h"
#include "cli/quai/verbs.h"
#include "sys/file_io.h"

namespace quai::cli {
namespace {

struct BuildFlags {
  std::vector<std::string> tags, build_args, labels, secrets;
  std::string file, target, iidfile, progress = "auto", network = "default", platform;
  bool no_cache = false, quiet = false, print_ast = false, pull = false, rm = true;
  std::string context;
};

Result<std::pair<std::string, std::string>> split_pair(const std::string& text,
                                                       std::string_view flag, bool value_from_env) {
  size_t equals = text.find('=');
  if (equals != std::string::npos)
    return std::pair(text.substr(0, equals), text.substr(equals + 1));
  if (!value_from_env) return fail(Errc::InvalidArgument, "{} {}: expected NAME=VALUE", flag, text);
  // As Docker: --build-arg NAME takes the value from the environment, if set there.
  const char* value = std::getenv(text.c_str());
  if (!value) return std::pair(text, std::string("\x01"));
  return std::pair(text, std::string(value));
}

// `--secret id=ID,src=FILE` or `id=ID,env=VAR` (type=file|env, source= as well): the id
// and the secret's content.
Result<std::pair<std::string, std::string>> read_secret(const std::string& text) {
  std::string id, file, env;
  for (const auto& field : split(text, ',')) {
    auto [name, value] = TRY(split_pair(field, "--secret", false));
    if (name == "id") {
      id = value;
    } else if (name == "src" || name == "source") {
      file = value;
    } else if (name == "env") {
      env = value;
    } else if (name != "type") {
      return fail(Errc::InvalidArgument, "--secret {}: unknown field \"{}\"", text, name);
    }
  }
  if (file.empty() && env.empty()) env = id;  // as buildx: `--secret id=TOKEN` reads $TOKEN
  if (id.empty()) id = file.empty() ? env : file.substr(file.rfind('/') + 1);
  if (!file.empty()) return std::pair(id, TRY_CTX(sys::read_file(file), "--secret {}", text));
  const char* value = std::getenv(env.c_str());
  if (value == nullptr)
    return fail(Errc::InvalidArgument, "--secret {}: ${} is not set", text, env);
  return std::pair(id, std::string(value));
}

// A tar ("ustar" at 257) or a compressed stream (gzip, bzip2, xz, zstd magic numbers).
bool looks_like_archive(std::string_view data) {
  if (data.size() > 262 && data.substr(257, 5) == "ustar") return true;
  for (std::string_view magic : {std::string_view("\x1f\x8b"), std::string_view("BZh"),
                                 std::string_view("\xfd"
                                                  "7zXZ"),
                                 std::string_view("\x28\xb5\x2f\xfd")}) {
    if (data.starts_with(magic)) return true;
  }
  return false;
}

// The tar in an anonymous file: the builder reads it from an fd. (It stays open until exit.)
Result<int> memory_file(std::string_view data) {
  int fd = ::memfd_create("context", MFD_CLOEXEC);
  if (fd < 0) return fail_errno(errno, "memfd_create");
  TRY(sys::write_all(fd, data));
  if (::lseek(fd, 0, SEEK_SET) != 0) return fail_errno(errno, "seek the context");
  return fd;
}

Result<build::BuildOptions> build_options(const BuildFlags& f) {
  build::BuildOptions options;
  if (f.context == "-") {
    // `-`: a tar of the context, or a Dockerfile alone, on stdin. A tar has "ustar" at 257.
    std::string input = TRY(sys::read_all(STDIN_FILENO));
    if (looks_like_archive(input)) {
      options.context_tar_fd = TRY(memory_file(input));
      options.dockerfile_path = f.file;  // inside the tar
    } else {
      options.dockerfile_text = std::move(input);
      options.dockerfile_path = "-";
    }
  } else {
    options.context_dir = absolute_path(f.context);
    if (!sys::is_directory(options.context_dir))
      return fail(Errc::InvalidArgument, "unable to prepare context: path \"{}\" not found",
                  f.context);
    options.dockerfile_path = f.file.empty() ? "" : absolute_path(f.file);
    if (f.file == "-") {
      options.dockerfile_text = TRY(sys::read_all(STDIN_FILENO));
      options.dockerfile_path = "-";
    }
  }
  options.tags = f.tags;
  options.target = f.target;
  for (const auto& arg : f.build_args) {
    auto [name, value] = TRY(split_pair(arg, "--build-arg", true));
    if (value != "\x01") options.build_args[name] = value;
  }
  for (const auto& secret : f.secrets) options.secrets.insert(TRY(read_secret(secret)));
  for (const auto& label : f.labels) {
    auto [name, value] = TRY(split_pair(label, "--label", false));
    options.labels[name] = value;
  }
  options.no_cache = f.no_cache;
  if (f.network != "default" && f.network != "host" && f.network != "none")
    return fail(Errc::InvalidArgument, "--network {}: expected default, host or none", f.network);
  options.network = f.network;
  options.platform = f.platform;
  options.print_ast = f.print_ast;
  if (f.progress != "auto" && f.progress != "plain" && f.progress != "tty" && f.progress != "quiet")
    return fail(Errc::InvalidArgument, "--progress {}: expected auto, plain, tty or quiet",
                f.progress);
  return options;
}

Result<int> run_build(Globals& globals, const BuildFlags& f) {
  auto options = TRY(build_options(f));
  auto engine = TRY(open_engine(globals));
  build::Progress progress(stderr, f.quiet || f.progress == "quiet");
  auto result = TRY(build::build_image(engine, options, progress));
  if (f.print_ast) {
    std::fputs(result.ast.c_str(), stdout);
    return 0;
  }
  std::string id = result.image.id.str();
  if (!f.iidfile.empty()) TRY(sys::write_file_atomic(f.iidfile, id, 0644));
  if (f.quiet) {
    std::printf("%s\n", id.c_str());
    return 0;
  }
  progress.note(fmt::format("writing image {} done", id));
  for (const auto& name : result.image.names) progress.note(fmt::format("naming to {} done", name));
  return 0;
}

}  // namespace

void add_build_verbs(CLI::App& app, Globals& globals, Action& action) {
  static BuildFlags f;
  auto* build = app.add_subcommand("build", "Build an image from a Dockerfile");
  build->add_option("-t,--tag", f.tags, "Name and optionally a tag in the 'name:tag' format");
  build->add_option("-f,--file", f.file, "Name of the Dockerfile (default: PATH/Dockerfile)");
  build->add_option("--target", f.target, "Set the target build stage to build");
  build->add_option("--build-arg", f.build_args, "Set build-time variables");
  build->add_option("--secret", f.secrets,
                    "Secret to expose to the build (format: \"id=mysecret[,src=/local/secret]\")");
  build->add_option("--label", f.labels, "Set metadata for an image");
  build->add_flag("--no-cache", f.no_cache, "Do not use cache when building the image");
  build->add_flag("-q,--quiet", f.quiet, "Suppress the build output and print image ID on success");
  build->add_option("--iidfile", f.iidfile, "Write the image ID to the file");
  build->add_option("--progress", f.progress,
                    "Set type of progress output (auto, plain, tty, quiet)");
  build->add_option("--network", f.network,
                    "Networking mode for the RUN instructions (default, host, none)");
  build->add_option("--platform", f.platform, "Set platform (linux/amd64 only)");
  build->add_flag("--pull", f.pull, "Accepted; quai builds from local images only");
  build->add_flag("--rm", f.rm, "Accepted; build containers are always removed");
  build->add_flag("--print-ast", f.print_ast, "Print the Dockerfile's parse tree and exit");
  build->add_option("PATH", f.context, "Build context: a directory, or - for stdin")->required();
  build->callback([&] { action = [&] { return run_build(globals, f); }; });

  auto* prune = app.add_subcommand("builder-prune", "Remove build cache");
  prune->group("");
  static bool prune_all = false, force = false;
  prune->add_flag("-a,--all", prune_all, "Remove all unused build cache");
  prune->add_flag("-f,--force", force, "Do not prompt for confirmation");
  prune->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      int forgotten = TRY(engine.images().prune_build_cache());
      auto gc = TRY(engine.images().collect_garbage(engine.pinned_layers()));
      std::printf("Deleted build cache objects: %d\nTotal reclaimed space: %.1fMB\n", forgotten,
                  static_cast<double>(gc.bytes_freed) / 1e6);
      return 0;
    };
  });
}

}  // namespace quai::cli
