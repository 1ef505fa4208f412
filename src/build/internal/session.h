#pragma once
// What every stage of one build shares, and one stage's state while it is built.

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "build/builder.h"
#include "build/context.h"
#include "build/dockerfile.h"
#include "build/plan.h"
#include "engine/build_step.h"
#include "image/draft.h"

namespace quai::build::internal {

struct Session {
  engine::Engine* engine;
  const BuildOptions* options;
  const Dockerfile* dockerfile;
  const BuildPlan* plan;
  Progress* progress;
  std::string work_dir;  // the build's dir in tmp/
  SourceTree context;
  std::vector<std::shared_future<Result<image::ImageRecord>>> stage_results;
  std::atomic<int> next_container{1};
  std::atomic<int> steps_run{0};
  std::atomic<int> steps_cached{0};

  image::ImageStore& store() { return engine->images(); }
  /// A new directory in the build's work dir, for one step.
  Result<std::string> step_dir();
  /// The image of an earlier stage (waiting for it) or a stored image, for COPY --from.
  Result<image::ImageRecord> source_image(const Stage& stage, const std::string& name);
};

class StageBuilder {
 public:
  StageBuilder(Session& session, const Stage& stage) : session_(session), stage_(stage) {}
  /// Builds the stage and returns its image (written, not tagged).
  Result<image::ImageRecord> build();

 private:
  using Handler = Status (StageBuilder::*)(const Instruction&);
  static const std::map<std::string, Handler, std::less<>>& handlers();
  Status start_from_base();
  Status run_onbuild_triggers();
  void ensure_path_env();
  Result<std::vector<std::pair<std::string, std::string>>> expand_pairs(
      const Instruction& instruction);
  Status dispatch(const Instruction& instruction);
  Result<image::ImageRecord> finish();

  // Instructions that change only the config.
  Status on_env(const Instruction& instruction);
  Status on_label(const Instruction& instruction);
  Status on_arg(const Instruction& instruction);
  Status on_workdir(const Instruction& instruction);
  Status on_user(const Instruction& instruction);
  Status on_expose(const Instruction& instruction);
  Status on_volume(const Instruction& instruction);
  Status on_entrypoint(const Instruction& instruction);
  Status on_cmd(const Instruction& instruction);
  Status on_shell(const Instruction& instruction);
  Status on_healthcheck(const Instruction& instruction);
  Status on_stopsignal(const Instruction& instruction);
  Status on_maintainer(const Instruction& instruction);
  Status on_onbuild(const Instruction& instruction);
  // Instructions that add a layer (stage_layers.cc).
  Status on_run(const Instruction& instruction);
  Status on_copy(const Instruction& instruction);
  Status on_add(const Instruction& instruction);
  Status copy_step(const Instruction& instruction, bool add);

  /// A config change: history entry, cache chain.
  void changed_config(const Instruction& instruction, const std::string& created_by);
  /// A step that adds a layer: from the cache when its key is known, else `make` fills the
  /// mounted root of a new layer.
  Status layer_step(const Instruction& instruction, const std::string& key_material,
                    const std::string& created_by,
                    const std::function<Status(const engine::StepRoot&, int step)>& make);

  /// Variables for expansion: the ARGs in scope, overridden by the config's Env.
  Variables variables() const;
  /// ARG values in scope that the config's Env does not set (RUN gets them as env).
  std::vector<std::string> build_arg_env() const;
  Result<std::string> expand(const Instruction& at, const std::string& word);
  Result<std::vector<std::string>> expand_all(const Instruction& at,
                                              const std::vector<std::string>& words);
  Json& config() { return draft_->container_config(); }
  std::vector<std::string> shell() const;
  std::string next_key(const std::string& material) const;
  std::vector<std::string> lower_dirs() const;
  Error error_at(const Instruction& at, const Error& cause) const;
  int begin_step(const Instruction& instruction);

  Session& session_;
  const Stage& stage_;
  std::optional<image::ImageDraft> draft_;
  std::optional<image::ImageRecord> image_;  // the last image written or found
  bool dirty_ = false;                       // the draft has changes `image_` lacks
  std::string key_;                          // cache key of the state so far
  Variables args_;                           // ARGs declared in this stage
  bool cmd_set_ = false;                     // CMD given in this stage
  std::vector<std::string> pending_dirs_;    // WORKDIRs to make in the next layer
  int step_index_ = 0;
  int step_count_ = 0;
};

}  // namespace quai::build::internal
