#include "store/json_file.h"

namespace quai::store {

Result<Json> read_json_file(const std::string& path) {
  auto text = TRY(sys::read_file(path));
  auto document = parse_json(text, path);
  if (!document) return fail(Errc::Corrupt, "{}", document.error().to_string());
  return document;
}

Status write_json_file(const std::string& path, const Json& document, sys::Durability durability) {
  return sys::write_file_atomic(path, document.dump(), 0600, durability);
}

}  // namespace quai::store
