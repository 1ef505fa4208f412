#include "registry/server/api.h"

#include "base/json.h"
#include "base/log.h"
#include "image/reference.h"
#include "registry/server/api_errors.h"
#include "registry/server/htpasswd.h"
#include "registry/server/uploads.h"

namespace quai::registry::server {
namespace {

// "/v2/<name>/<kind>…": the name is everything before the last occurrence of the kind's
// marker, since a name may itself contain "blobs" or "manifests" as a component.
struct Route {
  std::string kind;  // "uploads", "blobs", "manifests", "tags", "referrers"
  std::string name;
  std::string rest;
};

std::optional<Route> split_route(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kMarkers[] = {
      {"/blobs/uploads/", "uploads"}, {"/blobs/uploads", "uploads"}, {"/blobs/", "blobs"},
      {"/manifests/", "manifests"},   {"/tags/list", "tags"},        {"/referrers/", "referrers"},
  };
  for (const auto& [marker, kind] : kMarkers) {
    size_t at = path.rfind(marker);
    if (at == std::string_view::npos || at == 0) continue;
    std::string_view rest = path.substr(at + marker.size());
    if ((kind == "tags" || marker == "/blobs/uploads") && !rest.empty()) continue;
    return Route{std::string(kind), std::string(path.substr(0, at)), std::string(rest)};
  }
  return std::nullopt;
}

}  // namespace

Api::Api(Storage& storage, ApiOptions options)
    : storage_(storage),
      options_(std::move(options)),
      uploads_(std::make_unique<UploadSessions>(options_.max_upload_age)) {}

Api::~Api() = default;

Response Api::handle(Request& request) {
  Outcome outcome;
  if (options_.users && !options_.users->allows(request.header("authorization"))) {
    outcome = std::unexpected(errors::unauthorized());
  } else {
    outcome = route(request);
  }
  Response response = outcome ? std::move(*outcome) : error_response(outcome.error());
  response.set("Docker-Distribution-API-Version", "registry/2.0");
  if (response.status == 401) response.set("WWW-Authenticate", "Basic realm=\"quai-registry\"");
  if (request.method == "HEAD") response.head_only = true;
  if (response.status >= 500)
    log::error("registry: {} {}: {}", request.method, request.path, response.body);
  return response;
}

Api::Outcome Api::route(Request& request) {
  std::string_view path = request.path;
  if (path == "/v2/" || path == "/v2") return json_response(200, Json::object());
  if (!path.starts_with("/v2/")) return std::unexpected(errors::not_found(request.path));
  path.remove_prefix(4);
  if (path == "_catalog") return catalog(request);
  std::optional<Route> found = split_route(path);
  if (!found) return std::unexpected(errors::not_found(request.path));
  if (!image::is_valid_repository_path(found->name))
    return std::unexpected(errors::name_invalid(found->name));
  bool writes = request.method != "GET" && request.method != "HEAD";
  if (writes && options_.read_only) return std::unexpected(errors::read_only());
  const std::string& kind = found->kind;
  if (kind == "uploads" && found->rest.empty()) return start_upload(request, found->name);
  if (kind == "uploads") return continue_upload(request, found->name, found->rest);
  if (kind == "blobs") return blob(request, found->name, found->rest);
  if (kind == "manifests") return manifest(request, found->name, found->rest);
  if (kind == "tags") return tags(request, found->name);
  return referrers(request, found->name, found->rest);
}

}  // namespace quai::registry::server
