#include "registry/server/api_errors.h"

namespace quai::registry::server {

Response error_response(const ApiError& error) {
  Json entry = {{"code", error.code}, {"message", error.message}};
  Response response = json_response(error.status, Json{{"errors", Json::array({entry})}});
  return response;
}

Response json_response(int status, const Json& body, std::string_view content_type) {
  Response response;
  response.status = status;
  response.set("Content-Type", std::string(content_type));
  response.body = body.dump();
  return response;
}

namespace errors {
namespace {
ApiError make(int status, std::string_view code, std::string message) {
  return ApiError{status, std::string(code), std::move(message)};
}
}  // namespace

ApiError blob_unknown(std::string_view digest) {
  return make(404, "BLOB_UNKNOWN", fmt::format("blob unknown to registry: {}", digest));
}
ApiError upload_unknown(std::string_view id) {
  return make(404, "BLOB_UPLOAD_UNKNOWN", fmt::format("blob upload unknown: {}", id));
}
ApiError upload_invalid(std::string_view why) {
  return make(400, "BLOB_UPLOAD_INVALID", fmt::format("blob upload invalid: {}", why));
}
ApiError digest_invalid(std::string_view why) {
  return make(400, "DIGEST_INVALID",
              fmt::format("provided digest did not match uploaded content: {}", why));
}
ApiError manifest_blob_unknown(std::string_view digest) {
  return make(400, "MANIFEST_BLOB_UNKNOWN",
              fmt::format("manifest references a blob unknown to the repository: {}", digest));
}
ApiError manifest_invalid(std::string_view why) {
  return make(400, "MANIFEST_INVALID", fmt::format("manifest invalid: {}", why));
}
ApiError manifest_unknown(std::string_view reference) {
  return make(404, "MANIFEST_UNKNOWN", fmt::format("manifest unknown: {}", reference));
}
ApiError name_invalid(std::string_view name) {
  return make(400, "NAME_INVALID",
              fmt::format("invalid repository name \"{}\": lower-case letters, digits and "
                          "separators (. _ __ - /) only",
                          name));
}
ApiError name_unknown(std::string_view name) {
  return make(404, "NAME_UNKNOWN", fmt::format("repository name not known to registry: {}", name));
}
ApiError size_invalid(std::string_view why) {
  return make(400, "SIZE_INVALID",
              fmt::format("provided length did not match content length: {}", why));
}
ApiError tag_invalid(std::string_view tag) {
  return make(400, "TAG_INVALID", fmt::format("invalid tag or digest \"{}\"", tag));
}
ApiError too_large(std::string_view code, std::string_view why) {
  return make(413, code, std::string(why));
}
ApiError range_invalid(std::string_view why) {
  return make(416, "BLOB_UPLOAD_INVALID", fmt::format("requested range not satisfiable: {}", why));
}
ApiError unauthorized() { return make(401, "UNAUTHORIZED", "authentication required"); }
ApiError read_only() {
  return make(405, "UNSUPPORTED",
              "the registry is read-only (a garbage collection may be running)");
}
ApiError unsupported(std::string_view what) {
  return make(405, "UNSUPPORTED", fmt::format("the operation is unsupported: {}", what));
}
ApiError not_found(std::string_view path) {
  return make(404, "NOT_FOUND", fmt::format("no such endpoint: {}", path));
}
ApiError internal(const Error& error) { return make(500, "UNKNOWN", error.to_string()); }
}  // namespace errors

}  // namespace quai::registry::server
