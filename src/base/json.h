#pragma once
// Typed, path-aware reading of untrusted JSON: every error names the field
// ("linux.namespaces[2].type: expected a string").

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace quai {

using Json = nlohmann::json;

/// Parses text as JSON; the error names `origin` (a file name; empty: the caller adds it)
/// and the byte offset.
Result<Json> parse_json(std::string_view text, std::string_view origin);

/// A read-only view of a JSON value and its path from the document root.
class JsonReader {
 public:
  JsonReader(const Json& value, std::string path) : value_(&value), path_(std::move(path)) {}

  const Json& value() const { return *value_; }
  const std::string& path() const { return path_; }

  /// True when the key is present and not null.
  bool has(std::string_view key) const;
  Status expect_object() const;
  Status expect_array() const;

  /// The member `key`, which must be present; an object/array member for walking into.
  Result<JsonReader> object(std::string_view key) const;
  Result<std::vector<JsonReader>> array(std::string_view key) const;  // absent: empty

  Result<std::string> string(std::string_view key) const;
  Result<std::optional<std::string>> optional_string(std::string_view key) const;
  Result<bool> boolean(std::string_view key, bool fallback) const;
  Result<std::vector<std::string>> strings(std::string_view key) const;  // absent: empty
  Result<std::map<std::string, std::string>> string_map(std::string_view key) const;

  Result<int64_t> int64(std::string_view key) const;
  Result<uint64_t> uint64(std::string_view key) const;
  Result<std::optional<int64_t>> optional_int64(std::string_view key) const;
  Result<std::optional<uint64_t>> optional_uint64(std::string_view key) const;

  /// An error about `key` of this value, e.g. "process.args: must not be empty".
  Error error(std::string_view key, std::string_view message) const;
  std::string child_path(std::string_view key) const;

 private:
  const Json* member(std::string_view key) const;

  const Json* value_;
  std::string path_;
};

/// Reads a uint64 that must fit in T, naming the field when it does not.
template <class T>
Result<T> narrow_uint(const JsonReader& reader, std::string_view key, uint64_t value) {
  if (value > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
    return fail(reader.error(key, "value out of range"));
  }
  return static_cast<T>(value);
}

}  // namespace quai
