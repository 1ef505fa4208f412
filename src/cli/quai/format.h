#pragma once
// Output in Docker's shapes: aligned tables, human sizes and times, and --format
// templates ("{{.ID}}\t{{.Names}}", "table …", "{{json .}}").

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/json.h"

namespace quai::cli {

/// Columns padded to the widest cell plus three spaces, at least ten wide, as Docker's
/// tabwriter does.
/// --label/--opt values ("key=value", or "key" for an empty value) as a map.
std::map<std::string, std::string> key_values(const std::vector<std::string>& pairs);
std::string render_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows);
/// "4.26MB", "1.2GB": decimal units, three significant digits.
std::string human_size(uint64_t bytes);
/// "1.523MiB", "1.944GiB": binary units, four significant digits (`docker stats` memory).
std::string binary_size(uint64_t bytes);
/// "2 minutes", "About an hour", "Less than a second" for the time since an RFC 3339 stamp.
std::string human_duration_since(const std::string& rfc3339);
/// Seconds since the epoch for an RFC 3339 stamp (0 when it does not parse).
int64_t parse_rfc3339(const std::string& text);

/// Renders a Go-template-like format for one object whose fields are `fields`; returns
/// the header line too when the format starts with "table".
struct Template {
  explicit Template(std::string format);
  bool is_table() const { return table_; }
  std::string header(const std::map<std::string, std::string>& titles) const;
  std::string render(const std::map<std::string, std::string>& fields, const Json& object) const;

 private:
  std::string body_;
  bool table_ = false;
};

}  // namespace quai::cli
