#include "base/json.h"

namespace quai {

Result<Json> parse_json(std::string_view text, std::string_view origin) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string prefix = origin.empty() ? "" : fmt::format("{}: ", origin);
    return fail(Errc::InvalidArgument, "{}invalid JSON at byte {}: {}", prefix, e.byte, e.what());
  } catch (const Json::exception& e) {
    // A number too large for a double (1e500) is an out_of_range, not a parse_error.
    std::string prefix = origin.empty() ? "" : fmt::format("{}: ", origin);
    return fail(Errc::InvalidArgument, "{}invalid JSON: {}", prefix, e.what());
  }
}

std::string JsonReader::child_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return fmt::format("{}.{}", path_, key);
}

Error JsonReader::error(std::string_view key, std::string_view message) const {
  std::string where = key.empty() ? path_ : child_path(key);
  return Error(Errc::InvalidArgument, fmt::format("{}: {}", where, message));
}

const Json* JsonReader::member(std::string_view key) const {
  if (!value_->is_object()) return nullptr;
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return nullptr;
  return &*it;
}

bool JsonReader::has(std::string_view key) const { return member(key) != nullptr; }

Status JsonReader::expect_object() const {
  if (!value_->is_object()) return fail(error("", "expected an object"));
  return ok();
}

Status JsonReader::expect_array() const {
  if (!value_->is_array()) return fail(error("", "expected an array"));
  return ok();
}

Result<JsonReader> JsonReader::object(std::string_view key) const {
  const Json* m = member(key);
  if (m == nullptr) return fail(error(key, "missing"));
  if (!m->is_object()) return fail(error(key, "expected an object"));
  return JsonReader(*m, child_path(key));
}

Result<std::vector<JsonReader>> JsonReader::array(std::string_view key) const {
  std::vector<JsonReader> items;
  const Json* m = member(key);
  if (m == nullptr) return items;
  if (!m->is_array()) return fail(error(key, "expected an array"));
  items.reserve(m->size());
  for (size_t i = 0; i < m->size(); ++i) {
    items.emplace_back((*m)[i], fmt::format("{}[{}]", child_path(key), i));
  }
  return items;
}

Result<std::string> JsonReader::string(std::string_view key) const {
  auto value = TRY(optional_string(key));
  if (!value) return fail(error(key, "missing"));
  return *value;
}

Result<std::optional<std::string>> JsonReader::optional_string(std::string_view key) const {
  const Json* m = member(key);
  if (m == nullptr) return std::optional<std::string>();
  if (!m->is_string()) return fail(error(key, "expected a string"));
  return m->get<std::string>();
}

Result<bool> JsonReader::boolean(std::string_view key, bool fallback) const {
  const Json* m = member(key);
  if (m == nullptr) return fallback;
  if (!m->is_boolean()) return fail(error(key, "expected true or false"));
  return m->get<bool>();
}

Result<std::vector<std::string>> JsonReader::strings(std::string_view key) const {
  std::vector<std::string> out;
  const Json* m = member(key);
  if (m == nullptr) return out;
  if (!m->is_array()) return fail(error(key, "expected an array of strings"));
  for (size_t i = 0; i < m->size(); ++i) {
    if (!(*m)[i].is_string()) {
      return fail(error(fmt::format("{}[{}]", key, i), "expected a string"));
    }
    out.push_back((*m)[i].get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> JsonReader::string_map(std::string_view key) const {
  std::map<std::string, std::string> out;
  const Json* m = member(key);
  if (m == nullptr) return out;
  if (!m->is_object()) return fail(error(key, "expected an object of strings"));
  for (const auto& [name, value] : m->items()) {
    if (!value.is_string())
      return fail(error(fmt::format("{}.{}", key, name), "expected a string"));
    out.emplace(name, value.get<std::string>());
  }
  return out;
}

Result<std::optional<int64_t>> JsonReader::optional_int64(std::string_view key) const {
  const Json* m = member(key);
  if (m == nullptr) return std::optional<int64_t>();
  if (m->is_number_unsigned()) {
    auto v = m->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return fail(error(key, "value out of range"));
    }
    return static_cast<int64_t>(v);
  }
  if (!m->is_number_integer()) return fail(error(key, "expected an integer"));
  return m->get<int64_t>();
}

Result<std::optional<uint64_t>> JsonReader::optional_uint64(std::string_view key) const {
  const Json* m = member(key);
  if (m == nullptr) return std::optional<uint64_t>();
  if (m->is_number_unsigned()) return m->get<uint64_t>();
  if (m->is_number_integer()) return fail(error(key, "must not be negative"));
  return fail(error(key, "expected a non-negative integer"));
}

Result<int64_t> JsonReader::int64(std::string_view key) const {
  auto value = TRY(optional_int64(key));
  if (!value) return fail(error(key, "missing"));
  return *value;
}

Result<uint64_t> JsonReader::uint64(std::string_view key) const {
  auto value = TRY(optional_uint64(key));
  if (!value) return fail(error(key, "missing"));
  return *value;
}

}  // namespace quai
