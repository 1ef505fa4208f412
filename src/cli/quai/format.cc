#include "cli/quai/format.h"

#include <time.h>

#include <cmath>

namespace quai::cli {

std::map<std::string, std::string> key_values(const std::vector<std::string>& pairs) {
  std::map<std::string, std::string> out;
  for (const auto& pair : pairs) {
    size_t eq = pair.find('=');
    out[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
  }
  return out;
}

std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size());
  auto widen = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  };
  widen(header);
  for (const auto& row : rows) widen(row);
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      // Docker's tabwriter: three spaces of padding, cells at least ten wide.
      if (i + 1 < row.size())
        line += std::string(std::max<size_t>(widths[i] + 3, 10) - row[i].size(), ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  emit(header);
  for (const auto& row : rows) emit(row);
  return out;
}

namespace {

// Go's %.{digits}g: that many significant digits, trailing zeros dropped.
std::string scaled_size(uint64_t bytes, double base, const std::vector<const char*>& units,
                        int digits) {
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= base && unit + 1 < units.size()) {
    value /= base;
    ++unit;
  }
  return fmt::format("{:.{}g}", value, digits) + units[unit];
}

}  // namespace

std::string human_size(uint64_t bytes) {
  return scaled_size(bytes, 1000.0, {"B", "kB", "MB", "GB", "TB", "PB"}, 3);
}

std::string binary_size(uint64_t bytes) {
  return scaled_size(bytes, 1024.0, {"B", "KiB", "MiB", "GiB", "TiB", "PiB"}, 4);
}

int64_t parse_rfc3339(const std::string& text) {
  struct tm t {};
  if (::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &t) == nullptr) return 0;
  return static_cast<int64_t>(::timegm(&t));
}

std::string human_duration_since(const std::string& rfc3339) {
  int64_t seconds = static_cast<int64_t>(::time(nullptr)) - parse_rfc3339(rfc3339);
  if (seconds < 1) return "Less than a second";
  if (seconds == 1) return "1 second";
  if (seconds < 60) return fmt::format("{} seconds", seconds);
  int64_t minutes = seconds / 60;
  if (minutes == 1) return "About a minute";
  if (minutes < 60) return fmt::format("{} minutes", minutes);
  int64_t hours = static_cast<int64_t>(std::round(static_cast<double>(seconds) / 3600));
  if (hours == 1) return "About an hour";
  if (hours < 48) return fmt::format("{} hours", hours);
  if (hours < 24 * 14) return fmt::format("{} days", hours / 24);
  if (hours < 24 * 60) return fmt::format("{} weeks", hours / 24 / 7);
  if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
  return fmt::format("{} years", hours / 24 / 365);
}

Template::Template(std::string format) : body_(std::move(format)) {
  if (body_.starts_with("table")) {
    table_ = true;
    body_ = body_.substr(5);
    while (!body_.empty() && body_.front() == ' ') body_.erase(0, 1);
  }
  // The shell passes "\t" literally; Docker's templates turn it into a tab.
  for (size_t at = body_.find("\\t"); at != std::string::npos; at = body_.find("\\t", at))
    body_.replace(at, 2, "\t");
  for (size_t at = body_.find("\\n"); at != std::string::npos; at = body_.find("\\n", at))
    body_.replace(at, 2, "\n");
}

namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

template <class Lookup>
std::string expand(const std::string& body, Lookup&& lookup) {
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t open = body.find("{{", pos);
    if (open == std::string::npos) break;
    size_t close = body.find("}}", open);
    if (close == std::string::npos) break;
    out += body.substr(pos, open - pos);
    std::string action = body.substr(open + 2, close - open - 2);
    while (!action.empty() && action.front() == ' ') action.erase(0, 1);
    while (!action.empty() && action.back() == ' ') action.pop_back();
    out += lookup(action);
    pos = close + 2;
  }
  return out + body.substr(pos);
}

}  // namespace

std::string Template::header(const std::map<std::string, std::string>& titles) const {
  return expand(body_, [&](const std::string& action) {
    auto it = titles.find(action.starts_with(".") ? action.substr(1) : action);
    return it == titles.end() ? action : it->second;
  });
}

std::string Template::render(const std::map<std::string, std::string>& fields,
                             const Json& object) const {
  // Dotted paths into the JSON object: {{.State.Status}}, {{json .Config.Env}}.
  auto find = [&](const std::string& path) -> const Json* {
    const Json* value = &object;
    for (const auto& part : split_path(path)) {
      if (!value->is_object() || !value->contains(part)) return nullptr;
      value = &(*value)[part];
    }
    return value;
  };
  return expand(body_, [&](const std::string& action) -> std::string {
    if (action == "json .") return object.dump();
    if (action.starts_with("json .")) {
      const Json* value = find(action.substr(6));
      return value == nullptr ? "null" : value->dump();
    }
    if (!action.starts_with(".")) return "";
    std::string name = action.substr(1);
    if (auto it = fields.find(name); it != fields.end()) return it->second;
    const Json* value = find(name);
    if (value == nullptr) return "<no value>";
    return value->is_string() ? value->get<std::string>() : value->dump();
  });
}

}  // namespace quai::cli
