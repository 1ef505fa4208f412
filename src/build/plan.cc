#include "build/plan.h"

#include <algorithm>
#include <functional>
#include <map>

#include "base/strings.h"

namespace quai::build {
namespace {

bool is_valid_stage_name(std::string_view name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  return std::ranges::all_of(name, [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

// "A=x" → ("A", "x"); "A" → ("A", nullopt).
std::pair<std::string, std::optional<std::string>> split_arg(std::string_view word) {
  size_t equals = word.find('=');
  if (equals == std::string_view::npos) return {std::string(word), std::nullopt};
  return {std::string(word.substr(0, equals)), std::string(word.substr(equals + 1))};
}

Status add_meta_arg(const Dockerfile& file, const Instruction& arg, const Variables& build_args,
                    Variables& meta) {
  for (const auto& word : arg.args) {
    auto [name, value] = split_arg(word);
    if (auto given = build_args.find(name); given != build_args.end()) {
      meta[name] = given->second;
    } else if (value) {
      auto expanded = expand_word(*value, meta, file.escape);
      if (!expanded)
        return fail(instruction_error(file, arg, "ARG {}: {}", name, expanded.error().message()));
      meta[name] = expanded->words.empty() ? "" : expanded->words[0];
    } else {
      meta.erase(name);  // declared without a value: unset until given
    }
  }
  return ok();
}

std::string from_image(const Instruction& from) { return from.args.empty() ? "" : from.args[0]; }

Result<Stage> make_stage(const Dockerfile& file, const Instruction& from, int index,
                         const Variables& meta, const std::vector<Stage>& earlier) {
  if (from.args.size() != 1 && from.args.size() != 3)
    return fail(instruction_error(file, from, "FROM requires either one or three arguments"));
  Stage stage;
  stage.index = index;
  stage.from = &from;
  if (from.args.size() == 3) {
    if (to_lower(from.args[1]) != "as")
      return fail(
          instruction_error(file, from, "FROM: expected \"AS\", found \"{}\"", from.args[1]));
    stage.name = to_lower(from.args[2]);
    if (!is_valid_stage_name(stage.name))
      return fail(instruction_error(file, from, "invalid stage name \"{}\"", from.args[2]));
    if (find_stage(earlier, stage.name, index))
      return fail(instruction_error(file, from, "duplicate stage name \"{}\"", stage.name));
  }
  auto base = expand_word(from_image(from), meta, file.escape);
  if (!base) return fail(instruction_error(file, from, "FROM: {}", base.error().message()));
  stage.base = base->words.empty() ? "" : base->words[0];
  if (stage.base.empty())
    return fail(instruction_error(file, from, "FROM: base name ({}) should not be blank",
                                  from_image(from)));
  stage.base_stage = find_stage(earlier, to_lower(stage.base), index);
  if (stage.base_stage) stage.needs.insert(*stage.base_stage);
  return stage;
}

// A COPY --from or RUN --mount from= value: an earlier stage, or an image.
void add_source(Stage& stage, const std::vector<Stage>& earlier, const std::string& from,
                const Instruction* at) {
  if (auto found = find_stage(earlier, to_lower(from), stage.index)) {
    stage.needs.insert(*found);
  } else {
    stage.images.emplace(from, at);
  }
}

std::optional<std::string> mount_from(const std::string& mount) {
  for (const auto& field : split(mount, ',')) {
    if (field.starts_with("from=")) return field.substr(5);
  }
  return std::nullopt;
}

void add_body_sources(Stage& stage, const std::vector<Stage>& earlier, const Variables& meta,
                      char escape) {
  for (const Instruction* instruction : stage.body) {
    std::vector<std::string> sources;
    if (auto from = instruction->flag("from")) sources.push_back(*from);
    for (const auto& mount : instruction->flag_values("mount")) {
      if (auto from = mount_from(mount)) sources.push_back(*from);
    }
    for (const auto& source : sources) {
      auto expanded = expand_word(source, meta, escape);
      add_source(stage, earlier, expanded && !expanded->words.empty() ? expanded->words[0] : source,
                 instruction);
    }
  }
}

void order_needed(const std::vector<Stage>& stages, int index, std::vector<int>& order) {
  if (std::ranges::find(order, index) != order.end()) return;
  for (int need : stages[index].needs) order_needed(stages, need, order);
  order.push_back(index);
}

Result<Stage> cut_stage(const Dockerfile& file, size_t& at, const Variables& meta,
                        const std::vector<Stage>& earlier) {
  const Instruction& from = file.instructions[at++];
  auto stage = TRY(make_stage(file, from, static_cast<int>(earlier.size()), meta, earlier));
  std::vector<const Instruction*> args;
  for (; at < file.instructions.size() && file.instructions[at].keyword != "from"; ++at) {
    stage.body.push_back(&file.instructions[at]);
    if (file.instructions[at].keyword == "arg") args.push_back(&file.instructions[at]);
  }
  TRY(check_arg_cycles(file, args));
  add_body_sources(stage, earlier, meta, file.escape);
  return stage;
}

}  // namespace

std::optional<int> find_stage(const std::vector<Stage>& stages, std::string_view name, int before) {
  for (int i = 0; i < before && i < static_cast<int>(stages.size()); ++i) {
    if (!stages[i].name.empty() && stages[i].name == name) return i;
  }
  // As Docker: a number names the stage with that index.
  auto number = parse_int64(name);
  if (number && *number >= 0 && *number < before && *number < static_cast<int64_t>(stages.size()))
    return static_cast<int>(*number);
  return std::nullopt;
}

Result<BuildPlan> plan_build(const Dockerfile& file, const Variables& build_args,
                             const std::string& target) {
  BuildPlan plan;
  size_t at = 0;
  std::vector<const Instruction*> meta_args;
  for (; at < file.instructions.size() && file.instructions[at].keyword != "from"; ++at) {
    const Instruction& instruction = file.instructions[at];
    if (instruction.keyword != "arg") {
      return fail(instruction_error(file, instruction,
                                    "{} before the first FROM (only ARG may come first)",
                                    to_upper(instruction.keyword)));
    }
    meta_args.push_back(&instruction);
  }
  TRY(check_arg_cycles(file, meta_args));
  for (const Instruction* arg : meta_args)
    TRY(add_meta_arg(file, *arg, build_args, plan.meta_args));
  if (at == file.instructions.size())
    return fail(Errc::InvalidArgument, "{}: no FROM instruction", file.file_name);
  while (at < file.instructions.size())
    plan.stages.push_back(TRY(cut_stage(file, at, plan.meta_args, plan.stages)));

  plan.target = static_cast<int>(plan.stages.size()) - 1;
  if (!target.empty()) {
    auto found = find_stage(plan.stages, to_lower(target), static_cast<int>(plan.stages.size()));
    if (!found)
      return fail(Errc::InvalidArgument, "target stage \"{}\" could not be found", target);
    plan.target = *found;
  }
  order_needed(plan.stages, plan.target, plan.order);
  return plan;
}

Status check_arg_cycles(const Dockerfile& file, const std::vector<const Instruction*>& args) {
  // name → (names its default refers to, the instruction)
  std::map<std::string, std::pair<std::set<std::string, std::less<>>, const Instruction*>> refs;
  for (const Instruction* arg : args) {
    for (const auto& word : arg->args) {
      auto [name, value] = split_arg(word);
      if (!value) continue;
      auto expanded = expand_word(*value, {}, file.escape);
      if (!expanded) continue;     // a syntax error is reported where the value is used
      expanded->used.erase(name);  // ARG A=$A takes the outer A: not a cycle
      refs[name] = {expanded->used, arg};
    }
  }
  // Depth-first search for a path that comes back to where it started.
  std::map<std::string, int> state;  // 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<std::optional<std::string>(const std::string&)> visit =
      [&](const std::string& name) -> std::optional<std::string> {
    auto found = refs.find(name);
    if (found == refs.end() || state[name] == 2) return std::nullopt;
    if (state[name] == 1) {
      auto start = std::ranges::find(path, name);
      std::vector<std::string> cycle(start, path.end());
      cycle.push_back(name);
      return join(cycle, " -> ");
    }
    state[name] = 1;
    path.push_back(name);
    for (const auto& next : found->second.first) {
      if (auto cycle = visit(next)) return cycle;
    }
    path.pop_back();
    state[name] = 2;
    return std::nullopt;
  };
  for (const auto& [name, entry] : refs) {
    if (auto cycle = visit(name))
      return fail(instruction_error(file, *refs[name].second, "ARG cycle: {}", *cycle));
  }
  return ok();
}

}  // namespace quai::build
