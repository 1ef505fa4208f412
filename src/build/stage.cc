// One stage: FROM, then each instruction in turn (build/internal/session.h).

#include <algorithm>
#include <map>

#include "base/sha256.h"
#include "base/strings.h"
#include "build/internal/session.h"
#include "sys/fs.h"

namespace quai::build::internal {
namespace {

std::string env_name(const std::string& entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

Error StageBuilder::error_at(const Instruction& at, const Error& cause) const {
  return instruction_error(*session_.dockerfile, at, "{}", cause.to_string());
}

int StageBuilder::begin_step(const Instruction& instruction) {
  ++step_index_;
  std::string stage = stage_.name.empty() ? "" : stage_.name + " ";
  return session_.progress->begin(
      fmt::format("[{}{}/{}] {}", stage, step_index_, step_count_, instruction.original));
}

std::string StageBuilder::next_key(const std::string& material) const {
  return sha256_hex(key_ + "\n" + material);
}

Variables StageBuilder::variables() const {
  // FROM's own flags: the ARGs before the first FROM are in scope, nothing else yet.
  if (!draft_) return Variables(session_.plan->meta_args.begin(), session_.plan->meta_args.end());
  Variables vars = args_;
  const Json& cfg = draft_->container_config();
  if (cfg.contains("Env") && cfg["Env"].is_array()) {
    for (const auto& entry : cfg["Env"]) {
      if (!entry.is_string()) continue;
      std::string text = entry.get<std::string>();
      size_t equals = text.find('=');
      if (equals != std::string::npos) vars[text.substr(0, equals)] = text.substr(equals + 1);
    }
  }
  return vars;
}

std::vector<std::string> StageBuilder::build_arg_env() const {
  std::vector<std::string> env;
  const Json& cfg = draft_->container_config();
  std::set<std::string> in_env;
  if (cfg.contains("Env") && cfg["Env"].is_array()) {
    for (const auto& entry : cfg["Env"])
      if (entry.is_string()) in_env.insert(env_name(entry.get<std::string>()));
  }
  for (const auto& [name, value] : args_) {
    if (!in_env.contains(name)) env.push_back(name + "=" + value);
  }
  return env;
}

Result<std::string> StageBuilder::expand(const Instruction& at, const std::string& word) {
  auto expanded = expand_word(word, variables(), session_.dockerfile->escape);
  if (!expanded) return fail(error_at(at, expanded.error()));
  return expanded->words.empty() ? std::string() : expanded->words[0];
}

Result<std::vector<std::string>> StageBuilder::expand_all(const Instruction& at,
                                                          const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const auto& word : words) out.push_back(TRY(expand(at, word)));
  return out;
}

std::vector<std::string> StageBuilder::shell() const {
  const Json& cfg = draft_->container_config();
  if (cfg.contains("Shell") && cfg["Shell"].is_array() && !cfg["Shell"].empty()) {
    std::vector<std::string> shell;
    for (const auto& part : cfg["Shell"])
      if (part.is_string()) shell.push_back(part.get<std::string>());
    return shell;
  }
  return {"/bin/sh", "-c"};
}

std::vector<std::string> StageBuilder::lower_dirs() const {
  std::vector<std::string> dirs;
  for (const auto& diff_id : draft_->diff_ids())
    dirs.push_back(session_.store().root() + "/layers/" + diff_id.hex() + "/diff");
  return dirs;
}

void StageBuilder::changed_config(const Instruction& instruction, const std::string& created_by) {
  draft_->add_empty_layer_history("/bin/sh -c #(nop) " + created_by);
  key_ = next_key(created_by);
  dirty_ = true;
  (void)instruction;
}

Status StageBuilder::start_from_base() {
  const Instruction& from = *stage_.from;
  std::string platform = from.flag("platform").value_or("");
  if (!platform.empty()) platform = TRY(expand(from, platform));
  if (!platform.empty() && platform != "linux/amd64" && platform != "linux/x86_64")
    return fail(instruction_error(*session_.dockerfile, from,
                                  "FROM --platform={}: only linux/amd64 can be built here",
                                  platform));
  int step = session_.progress->begin(fmt::format(
      "[{}{}] FROM {}", stage_.name.empty() ? "" : stage_.name + " ", "internal", stage_.base));
  if (to_lower(stage_.base) == "scratch") {
    draft_ = image::ImageDraft::scratch();
    key_ = sha256_hex("FROM scratch");
  } else {
    image::ImageRecord base;
    if (stage_.base_stage) {
      base = TRY(session_.stage_results[*stage_.base_stage].get());
    } else {
      auto found = session_.store().find(stage_.base);
      if (!found) return fail(error_at(from, found.error()));
      base = *found;
    }
    draft_ = TRY(image::ImageDraft::from_image(session_.store(), base));
    image_ = base;
    key_ = sha256_hex("FROM " + base.id.str());
  }
  ensure_path_env();
  session_.progress->done(step, {});
  return run_onbuild_triggers();
}

// As BuildKit and buildah: a base without PATH (scratch, a bootstrapped image) gets the
// default one, so that RUN steps and the final image find their programs.
void StageBuilder::ensure_path_env() {
  Json& env = config()["Env"];
  if (!env.is_array()) env = Json::array();
  for (const auto& entry : env)
    if (entry.is_string() && entry.get<std::string>().starts_with("PATH=")) return;
  env.insert(env.begin(), "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  dirty_ = true;
}

Status StageBuilder::run_onbuild_triggers() {
  Json& cfg = config();
  if (!cfg.contains("OnBuild") || !cfg["OnBuild"].is_array()) return ok();
  Json triggers = cfg["OnBuild"];
  cfg.erase("OnBuild");
  dirty_ = true;
  for (const auto& trigger : triggers) {
    if (!trigger.is_string()) continue;
    std::string origin =
        fmt::format("{} (ONBUILD of {})", session_.dockerfile->file_name, stage_.base);
    auto parsed = parse_dockerfile(trigger.get<std::string>(), origin);
    if (!parsed) return fail(parsed.error());
    for (const auto& instruction : parsed->instructions) {
      // The parsed trigger lives only here: dispatch it now.
      TRY(dispatch(instruction));
    }
  }
  return ok();
}

Status StageBuilder::dispatch(const Instruction& instruction) {
  auto handler = handlers().find(instruction.keyword);
  if (handler == handlers().end()) {
    return fail(instruction_error(*session_.dockerfile, instruction, "{} is not allowed here",
                                  to_upper(instruction.keyword)));
  }
  return (this->*(handler->second))(instruction);
}

Result<image::ImageRecord> StageBuilder::build() {
  step_count_ = static_cast<int>(stage_.body.size());
  TRY(start_from_base());
  for (const Instruction* instruction : stage_.body) TRY(dispatch(*instruction));
  return finish();
}

Result<image::ImageRecord> StageBuilder::finish() {
  bool target = stage_.index == session_.plan->target;
  if (target && !session_.options->labels.empty()) {
    for (const auto& [name, value] : session_.options->labels) config()["Labels"][name] = value;
    key_ = next_key("--label " + Json(session_.options->labels).dump());
    dirty_ = true;
  }
  if (!pending_dirs_.empty()) {
    // A WORKDIR not followed by RUN or COPY: its directory still belongs in the image.
    TRY(layer_step(*stage_.from, "WORKDIR " + join(pending_dirs_, " "),
                   "/bin/sh -c #(nop) WORKDIR " + pending_dirs_.back(),
                   [](const engine::StepRoot&, int) { return ok(); }));
  }
  if (!dirty_ && image_) return *image_;
  if (!session_.options->no_cache) {
    if (auto cached = session_.store().cached_step(key_)) return *cached;
  }
  auto written = TRY(draft_->write(session_.store()));
  TRY(session_.store().remember_step(key_, written));
  return written;
}

// Config instructions.

// ENV and LABEL: name/value pairs, both sides expanded; "NAME=value …" for history.
Result<std::vector<std::pair<std::string, std::string>>> StageBuilder::expand_pairs(
    const Instruction& instruction) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (size_t i = 0; i + 1 < instruction.args.size(); i += 2) {
    std::string name = TRY(expand(instruction, instruction.args[i]));
    if (name.empty())
      return fail(instruction_error(*session_.dockerfile, instruction, "{} names can not be blank",
                                    to_upper(instruction.keyword)));
    pairs.emplace_back(name, TRY(expand(instruction, instruction.args[i + 1])));
  }
  return pairs;
}

Status StageBuilder::on_env(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::vector<std::string> parts;
  for (const auto& [name, value] : TRY(expand_pairs(instruction))) {
    Json& env = config()["Env"];
    if (!env.is_array()) env = Json::array();
    auto same = std::ranges::find_if(env, [&](const Json& e) {
      return e.is_string() && env_name(e.get<std::string>()) == name;
    });
    if (same != env.end()) {
      *same = name + "=" + value;
    } else {
      env.push_back(name + "=" + value);
    }
    parts.push_back(name + "=" + value);
  }
  changed_config(instruction, "ENV " + join(parts, " "));
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_label(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::vector<std::string> parts;
  for (const auto& [name, value] : TRY(expand_pairs(instruction))) {
    if (!config()["Labels"].is_object()) config()["Labels"] = Json::object();
    config()["Labels"][name] = value;
    parts.push_back(name + "=" + value);
  }
  changed_config(instruction, "LABEL " + join(parts, " "));
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_arg(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::vector<std::string> parts;
  for (const auto& word : instruction.args) {
    size_t equals = word.find('=');
    std::string name = word.substr(0, equals);
    const auto& given = session_.options->build_args;
    if (auto found = given.find(name); found != given.end()) {
      args_[name] = found->second;
    } else if (equals != std::string::npos) {
      args_[name] = TRY(expand(instruction, word.substr(equals + 1)));
    } else if (auto meta = session_.plan->meta_args.find(name);
               meta != session_.plan->meta_args.end()) {
      args_[name] = meta->second;
    } else {
      args_.erase(name);
      parts.push_back(name);
      continue;
    }
    parts.push_back(name + "=" + args_[name]);
  }
  // Not in the image's history (as Docker), but in the cache key: later steps see it.
  key_ = next_key("ARG " + join(parts, " "));
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_workdir(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::string dir = TRY(expand(instruction, instruction.args.empty() ? "" : instruction.args[0]));
  if (dir.empty())
    return fail(instruction_error(*session_.dockerfile, instruction, "WORKDIR requires a path"));
  std::string current = config().value("WorkingDir", std::string());
  if (!dir.starts_with('/')) dir = (current.empty() ? "/" : current) + "/" + dir;
  dir = sys::clean_path(dir);
  config()["WorkingDir"] = dir;
  pending_dirs_.push_back(dir);
  changed_config(instruction, "WORKDIR " + dir);
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_user(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::string user = TRY(expand(instruction, instruction.args.empty() ? "" : instruction.args[0]));
  config()["User"] = user;
  changed_config(instruction, "USER " + user);
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_expose(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::vector<std::string> ports;
  for (const auto& word : TRY(expand_all(instruction, instruction.args))) {
    std::string port = word.find('/') == std::string::npos ? word + "/tcp" : to_lower(word);
    std::string number = port.substr(0, port.find('/'));
    auto parsed = parse_uint64(number);
    if (!parsed || *parsed == 0 || *parsed > 65535)
      return fail(instruction_error(*session_.dockerfile, instruction,
                                    "EXPOSE: invalid port \"{}\"", word));
    if (!config()["ExposedPorts"].is_object()) config()["ExposedPorts"] = Json::object();
    config()["ExposedPorts"][port] = Json::object();
    ports.push_back(port);
  }
  changed_config(instruction, "EXPOSE " + join(ports, " "));
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_volume(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::vector<std::string> paths;
  for (const auto& path : TRY(expand_all(instruction, instruction.args))) {
    if (path.empty())
      return fail(instruction_error(*session_.dockerfile, instruction,
                                    "VOLUME specified can not be an empty string"));
    if (!config()["Volumes"].is_object()) config()["Volumes"] = Json::object();
    config()["Volumes"][path] = Json::object();
    paths.push_back(path);
  }
  changed_config(instruction, "VOLUME [" + join(paths, " ") + "]");
  session_.progress->done(step, {});
  return ok();
}

namespace {

// CMD, ENTRYPOINT, HEALTHCHECK CMD: the exec form as given, the shell form through SHELL.
Json command_of(const Instruction& instruction, const std::vector<std::string>& args,
                const std::vector<std::string>& shell) {
  if (instruction.json_form) return Json(args);
  std::vector<std::string> command = shell;
  command.push_back(join(args, " "));
  return Json(command);
}

}  // namespace

Status StageBuilder::on_entrypoint(const Instruction& instruction) {
  int step = begin_step(instruction);
  Json command = command_of(instruction, instruction.args, shell());
  config()["Entrypoint"] = command;
  // As Docker: an ENTRYPOINT drops the CMD it inherited from the base image.
  if (!cmd_set_) config()["Cmd"] = nullptr;
  changed_config(instruction, "ENTRYPOINT " + command.dump());
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_cmd(const Instruction& instruction) {
  int step = begin_step(instruction);
  Json command = command_of(instruction, instruction.args, shell());
  config()["Cmd"] = command;
  cmd_set_ = true;
  changed_config(instruction, "CMD " + command.dump());
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_shell(const Instruction& instruction) {
  int step = begin_step(instruction);
  if (!instruction.json_form || instruction.args.empty())
    return fail(instruction_error(*session_.dockerfile, instruction,
                                  "SHELL requires the arguments to be in JSON form"));
  config()["Shell"] = instruction.args;
  changed_config(instruction, "SHELL " + Json(instruction.args).dump());
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_stopsignal(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::string signal =
      TRY(expand(instruction, instruction.args.empty() ? "" : instruction.args[0]));
  config()["StopSignal"] = signal;
  changed_config(instruction, "STOPSIGNAL " + signal);
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_maintainer(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::string author = instruction.args.empty() ? "" : instruction.args[0];
  draft_->set_author(author);
  changed_config(instruction, "MAINTAINER " + author);
  session_.progress->done(step, {});
  return ok();
}

Status StageBuilder::on_onbuild(const Instruction& instruction) {
  int step = begin_step(instruction);
  std::string text = instruction.original;
  // The trigger as written, without the ONBUILD keyword.
  size_t keyword_end = text.find_first_of(" \t");
  std::string trigger(trim(keyword_end == std::string::npos ? "" : text.substr(keyword_end)));
  if (!config()["OnBuild"].is_array()) config()["OnBuild"] = Json::array();
  config()["OnBuild"].push_back(trigger);
  changed_config(instruction, "ONBUILD " + trigger);
  session_.progress->done(step, {});
  return ok();
}

const std::map<std::string, StageBuilder::Handler, std::less<>>& StageBuilder::handlers() {
  static const std::map<std::string, Handler, std::less<>> table = {
      {"env", &StageBuilder::on_env},
      {"label", &StageBuilder::on_label},
      {"arg", &StageBuilder::on_arg},
      {"workdir", &StageBuilder::on_workdir},
      {"user", &StageBuilder::on_user},
      {"expose", &StageBuilder::on_expose},
      {"volume", &StageBuilder::on_volume},
      {"entrypoint", &StageBuilder::on_entrypoint},
      {"cmd", &StageBuilder::on_cmd},
      {"shell", &StageBuilder::on_shell},
      {"healthcheck", &StageBuilder::on_healthcheck},
      {"stopsignal", &StageBuilder::on_stopsignal},
      {"maintainer", &StageBuilder::on_maintainer},
      {"onbuild", &StageBuilder::on_onbuild},
      {"run", &StageBuilder::on_run},
      {"copy", &StageBuilder::on_copy},
      {"add", &StageBuilder::on_add},
  };
  return table;
}

}  // namespace quai::build::internal
