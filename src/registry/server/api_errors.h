#pragma once
// The distribution spec's error codes and the JSON bodies that carry them, plus the small
// response shapes every handler uses.

#include <string>
#include <string_view>

#include "base/json.h"
#include "registry/server/api.h"
#include "registry/server/http.h"

namespace quai::registry::server {

Response error_response(const ApiError& error);
Response json_response(int status, const Json& body,
                       std::string_view content_type = "application/json");

namespace errors {
ApiError blob_unknown(std::string_view digest);
ApiError upload_unknown(std::string_view id);
ApiError upload_invalid(std::string_view why);
ApiError digest_invalid(std::string_view why);
ApiError manifest_blob_unknown(std::string_view digest);
ApiError manifest_invalid(std::string_view why);
ApiError manifest_unknown(std::string_view reference);
ApiError name_invalid(std::string_view name);
ApiError name_unknown(std::string_view name);
ApiError size_invalid(std::string_view why);
ApiError tag_invalid(std::string_view tag);
ApiError too_large(std::string_view code, std::string_view why);
ApiError range_invalid(std::string_view why);
ApiError unauthorized();
ApiError read_only();
ApiError unsupported(std::string_view what);
ApiError not_found(std::string_view path);
ApiError internal(const Error& error);
}  // namespace errors

}  // namespace quai::registry::server
