#pragma once
// `quai build`: a Dockerfile and its context in, an image out. Stages the target needs
// are built in dependency order (those that do not need each other side by side); each
// RUN runs as a container through the engine (build_step.h) and each RUN, COPY and ADD
// adds a layer. A step whose inputs are unchanged is taken from the cache (see
// docs/design/build.md for the key).

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "build/expand.h"
#include "build/progress.h"
#include "engine/engine.h"
#include "image/image_store.h"

namespace quai::build {

struct BuildOptions {
  std::string context_dir;      // "" for none (`quai build -`, or a tar on context_tar_fd)
  int context_tar_fd = -1;      // a tar (plain or compressed) of the context
  std::string dockerfile_path;  // "" = <context>/Dockerfile; relative to the current dir
  std::string dockerfile_text;  // the Dockerfile itself, when it came on stdin
  std::vector<std::string> tags;
  std::string target;
  Variables build_args;
  std::map<std::string, std::string> labels;
  bool no_cache = false;
  std::string network = "default";  // default (the host's), host, none: RUN's network
  std::string platform;             // "" or linux/amd64
  bool print_ast = false;           // parse, print the tree, build nothing
  /// --secret id=ID,src=PATH (or env=VAR): what RUN --mount=type=secret,id=ID reads, by
  /// id. Secrets are part of neither the cache key nor the image.
  std::map<std::string, std::string> secrets;
};

struct BuildResult {
  image::ImageRecord image;
  int steps_run = 0;
  int steps_cached = 0;
  std::string ast;  // with print_ast
};

/// Builds and tags the image. The process must not have started other threads: it enters
/// a private mount namespace first. Errors in the Dockerfile name file:line.
Result<BuildResult> build_image(engine::Engine& engine, const BuildOptions& options,
                                Progress& progress);

}  // namespace quai::build
