#include "build/builder.h"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "base/strings.h"
#include "build/internal/session.h"
#include "engine/build_step.h"
#include "image/layer.h"
#include "sys/file_io.h"
#include "sys/fs.h"
#include "sys/syscalls.h"

namespace quai::build {
namespace {

struct DockerfileText {
  std::string name;  // as errors show it: the file's name, without its directory
  std::string text;
};

Result<std::string> read_beneath(int dir_fd, const std::string& path) {
  auto fd = sys::openat2(dir_fd, path, O_RDONLY | O_CLOEXEC, RESOLVE_BENEATH);
  if (!fd) return std::unexpected(fd.error());
  return sys::read_all(fd->get());
}

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// The Dockerfile: given as text, a path on the host, or a path inside a context that came
// as a tar (default "Dockerfile" in the context).
Result<DockerfileText> read_dockerfile(const BuildOptions& options, int context_fd) {
  if (options.dockerfile_path == "-") return DockerfileText{"Dockerfile", options.dockerfile_text};
  std::string path = options.dockerfile_path;
  bool in_context = path.empty() || (options.context_tar_fd >= 0 && !path.starts_with('/'));
  if (in_context) {
    if (path.empty()) path = "Dockerfile";
    if (context_fd < 0)
      return fail(Errc::InvalidArgument, "no Dockerfile: there is no build context; give -f");
    auto text = read_beneath(context_fd, path);
    if (!text)
      return fail(text.error().add_context(fmt::format("failed to read dockerfile {}", path)));
    return DockerfileText{base_name(path), std::move(*text)};
  }
  auto text = sys::read_file(path);
  if (!text)
    return fail(text.error().add_context(fmt::format("failed to read dockerfile {}", path)));
  return DockerfileText{base_name(path), std::move(*text)};
}

// Every image the needed stages read must be here: quai build pulls nothing, and a
// missing one is better said before any step runs.
Status check_images(engine::Engine& engine, const Dockerfile& file, const BuildPlan& plan) {
  for (int index : plan.order) {
    const Stage& stage = plan.stages[index];
    if (!stage.base_stage && to_lower(stage.base) != "scratch") {
      if (auto found = engine.images().find(stage.base); !found)
        return fail(instruction_error(file, *stage.from, "FROM {}: {}", stage.base,
                                      found.error().to_string()));
    }
    for (const auto& [name, at] : stage.images) {
      if (auto found = engine.images().find(name); !found) {
        return fail(instruction_error(file, *at,
                                      "\"{}\" is neither an earlier stage nor an image here: {}",
                                      name, found.error().to_string()));
      }
    }
  }
  return ok();
}

Result<IgnoreMatcher> read_dockerignore(int context_fd) {
  auto text = read_beneath(context_fd, ".dockerignore");
  if (!text) return IgnoreMatcher();
  return IgnoreMatcher::parse(*text, ".dockerignore");
}

Result<sys::UniqueFd> open_context(const BuildOptions& options, const std::string& work_dir) {
  if (!options.context_dir.empty()) {
    sys::UniqueFd fd(::open(options.context_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return fail_errno(errno, "build context \"{}\"", options.context_dir);
    return fd;
  }
  if (options.context_tar_fd < 0) return sys::UniqueFd();
  std::string dir = work_dir + "/context";
  if (::mkdir(dir.c_str(), 0700) != 0) return fail_errno(errno, "mkdir \"{}\"", dir);
  sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) return fail_errno(errno, "open \"{}\"", dir);
  image::UnpackOptions unpack;
  unpack.whiteouts = false;
  TRY_CTX(image::unpack_layer(options.context_tar_fd, fd.get(), unpack, "context"),
          "read the build context from stdin");
  return fd;
}

// Runs the needed stages, each in its own thread: a stage waits only for the stages it
// reads. Every thread is joined before this returns, error or not.
void run_stages(internal::Session& session) {
  const BuildPlan& plan = *session.plan;
  std::vector<std::promise<Result<image::ImageRecord>>> promises(plan.stages.size());
  session.stage_results.resize(plan.stages.size());
  for (int index : plan.order) session.stage_results[index] = promises[index].get_future().share();
  std::vector<std::thread> threads;
  for (int index : plan.order) {
    threads.emplace_back([&session, &plan, &promises, index] {
      internal::StageBuilder builder(session, plan.stages[index]);
      promises[index].set_value(builder.build());
    });
  }
  for (auto& thread : threads) thread.join();
}

}  // namespace

Result<BuildResult> build_image(engine::Engine& engine, const BuildOptions& options,
                                Progress& progress) {
  if (!options.platform.empty() && options.platform != "linux/amd64")
    return fail(Errc::InvalidArgument, "--platform {}: only linux/amd64 can be built here",
                options.platform);
  auto content_lock = TRY(engine.images().lock_content());
  TRY(engine::enter_build_mount_namespace());
  auto work = TRY(engine.images().temp().make("build"));
  auto context_fd = TRY(open_context(options, work.path()));

  auto source = TRY(read_dockerfile(options, context_fd.get()));
  auto dockerfile = TRY(parse_dockerfile(source.text, source.name));
  BuildResult result;
  if (options.print_ast) {
    result.ast = dump_ast(dockerfile);
    return result;
  }
  auto plan = TRY(plan_build(dockerfile, options.build_args, options.target));
  TRY(check_images(engine, dockerfile, plan));
  IgnoreMatcher ignore;
  if (context_fd) ignore = TRY(read_dockerignore(context_fd.get()));

  internal::Session session;
  session.engine = &engine;
  session.options = &options;
  session.dockerfile = &dockerfile;
  session.plan = &plan;
  session.progress = &progress;
  session.work_dir = work.path();
  session.context = SourceTree{context_fd.get(), SourceRoot::Context, &ignore, nullptr};
  run_stages(session);

  auto built = session.stage_results[plan.target].get();
  if (!built) {
    // A failed stage that the target needed tells more than the target's own wait.
    for (int index : plan.order) {
      auto stage = session.stage_results[index].get();
      if (!stage) return std::unexpected(stage.error());
    }
    return std::unexpected(built.error());
  }
  result.image = TRY(engine.images().add(built->manifest, options.tags));
  result.steps_run = session.steps_run;
  result.steps_cached = session.steps_cached;
  return result;
}

}  // namespace quai::build
