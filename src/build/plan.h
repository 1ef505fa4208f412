#pragma once
// A Dockerfile cut into stages: the ARGs before the first FROM (meta args), each stage's
// base and body, which stages need which, and the stages the target needs, in an order
// that builds each after the stages it needs.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "build/dockerfile.h"
#include "build/expand.h"

namespace quai::build {

struct Stage {
  int index = 0;
  std::string name;  // the AS name, lower case; "" when none
  const Instruction* from = nullptr;
  std::string base;  // FROM's image, meta args expanded: "scratch", an image or a stage name
  std::optional<int> base_stage;  // FROM names an earlier stage
  std::vector<const Instruction*> body;
  std::set<int> needs;  // stages read by FROM, COPY --from, RUN --mount from=
  std::map<std::string, const Instruction*> images;  // read by COPY --from / RUN --mount from=
};

struct BuildPlan {
  Variables meta_args;  // ARGs before the first FROM, build args applied
  std::vector<Stage> stages;
  int target = 0;
  std::vector<int> order;  // the stages the target needs, each after those it needs
};

/// Cuts `dockerfile` into stages for `target` ("" = the last stage). Errors name the file
/// and line: an instruction before the first FROM other than ARG, a repeated stage name,
/// a stage name that is not a valid name, an ARG cycle, an unknown target.
Result<BuildPlan> plan_build(const Dockerfile& dockerfile, const Variables& build_args,
                             const std::string& target);

/// Finds a stage by AS name or index ("0", "1", …) among the first `before` stages.
std::optional<int> find_stage(const std::vector<Stage>& stages, std::string_view name, int before);

/// Error "<file>:<line>: <message>" for an instruction.
template <class... Args>
Error instruction_error(const Dockerfile& file, const Instruction& at,
                        fmt::format_string<Args...> format, Args&&... args) {
  return Error(Errc::InvalidArgument,
               fmt::format("{}:{}: {}", file.file_name, at.line,
                           fmt::format(format, std::forward<Args>(args)...)));
}

/// Checks the ARG instructions of one scope (the meta args, or one stage's): a default
/// that refers, through others, back to itself is InvalidArgument "ARG cycle: A -> B -> A".
Status check_arg_cycles(const Dockerfile& file, const std::vector<const Instruction*>& args);

}  // namespace quai::build
