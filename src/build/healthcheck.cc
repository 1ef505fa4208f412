// HEALTHCHECK: the config's Healthcheck, with Docker's durations in nanoseconds.

#include <cmath>

#include "base/strings.h"
#include "build/internal/session.h"

namespace quai::build::internal {
namespace {

// A Go duration ("30s", "1m30s", "500ms", "1.5h") in nanoseconds.
Result<int64_t> parse_duration(std::string_view text) {
  static const std::pair<std::string_view, double> kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  // (checked in this order)
  if (text == "0") return 0;
  double total = 0;
  std::string_view rest = text;
  if (rest.empty()) return fail(Errc::InvalidArgument, "invalid duration \"{}\"", text);
  while (!rest.empty()) {
    size_t digits = 0;
    while (digits < rest.size() &&
           (std::isdigit(static_cast<unsigned char>(rest[digits])) || rest[digits] == '.'))
      ++digits;
    if (digits == 0) return fail(Errc::InvalidArgument, "invalid duration \"{}\"", text);
    double number = std::strtod(std::string(rest.substr(0, digits)).c_str(), nullptr);
    rest.remove_prefix(digits);
    double unit = 0;
    // Two-letter units first: "ms" is not "m" then "s".
    for (auto [name, factor] : kUnits) {
      if (!rest.starts_with(name)) continue;
      unit = factor;
      rest.remove_prefix(name.size());
      break;
    }
    if (unit == 0)
      return fail(Errc::InvalidArgument, "invalid duration \"{}\": missing unit", text);
    total += number * unit;
  }
  return static_cast<int64_t>(std::llround(total));
}

}  // namespace

Status StageBuilder::on_healthcheck(const Instruction& instruction) {
  int step = begin_step(instruction);
  auto bad = [&](const Error& e) { return fail(error_at(instruction, e)); };
  if (instruction.args.empty())
    return fail(
        instruction_error(*session_.dockerfile, instruction, "HEALTHCHECK requires an argument"));
  Json check;
  if (to_upper(instruction.args[0]) == "NONE") {
    check = {{"Test", {"NONE"}}};
  } else {
    std::vector<std::string> command(instruction.args.begin() + 1, instruction.args.end());
    if (instruction.json_form) {
      check["Test"] = Json::array({"CMD"});
      for (const auto& part : command) check["Test"].push_back(part);
    } else {
      check["Test"] = {"CMD-SHELL", join(command, " ")};
    }
    for (const char* name : {"interval", "timeout", "start-period", "start-interval"}) {
      auto value = instruction.flag(name);
      if (!value) continue;
      auto ns = parse_duration(*value);
      if (!ns) return bad(ns.error().add_context(fmt::format("--{}", name)));
      std::string field = name == std::string_view("interval")       ? "Interval"
                          : name == std::string_view("timeout")      ? "Timeout"
                          : name == std::string_view("start-period") ? "StartPeriod"
                                                                     : "StartInterval";
      check[field] = *ns;
    }
    if (auto retries = instruction.flag("retries")) {
      auto parsed = parse_int64(*retries);
      if (!parsed || *parsed < 0)
        return bad(Error(Errc::InvalidArgument, "--retries must be a number of at least 0"));
      check["Retries"] = *parsed;
    }
  }
  config()["Healthcheck"] = check;
  changed_config(instruction, "HEALTHCHECK " + check.dump());
  session_.progress->done(step, {});
  return ok();
}

}  // namespace quai::build::internal
