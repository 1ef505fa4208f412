// Manifests (GET/HEAD/PUT/DELETE), tag lists and the catalog with pagination, referrers.
#include "base/strings.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "registry/manifest_refs.h"
#include "registry/server/api.h"
#include "registry/server/api_errors.h"

namespace quai::registry::server {
namespace {

using image::Digest;

bool is_digest_reference(std::string_view reference) {
  return reference.find(':') != std::string_view::npos;
}

std::expected<std::string, ApiError> read_small_body(Request& request, size_t limit) {
  if (request.content_length && *request.content_length > limit)
    return std::unexpected(errors::too_large(
        "MANIFEST_INVALID", fmt::format("manifest of {} bytes is over the limit of {}",
                                        *request.content_length, limit)));
  std::string body;
  char buffer[1 << 16];
  for (;;) {
    auto n = request.body->read_some(buffer, sizeof buffer);
    if (!n) return std::unexpected(errors::manifest_invalid(n.error().to_string()));
    if (*n == 0) return body;
    body.append(buffer, *n);
    if (body.size() > limit)
      return std::unexpected(errors::too_large(
          "MANIFEST_INVALID", fmt::format("manifest is over the limit of {} bytes", limit)));
  }
}

// The media type a manifest is stored (and served) with: the one it was pushed with.
std::expected<std::string, ApiError> media_type_of(const Request& request,
                                                   const ManifestRefs& refs) {
  std::string header(request.header("content-type"));
  header = header.substr(0, header.find(';'));
  if (!refs.media_type.empty() && !header.empty() && header != refs.media_type)
    return std::unexpected(errors::manifest_invalid(fmt::format(
        "Content-Type {} differs from the manifest's mediaType {}", header, refs.media_type)));
  if (!header.empty()) return header;
  if (!refs.media_type.empty()) return refs.media_type;
  return std::string(refs.is_index ? image::media_type::kOciIndex
                                   : image::media_type::kOciManifest);
}

// "?n=&last=": entries after `last`, at most n, and the Link header to the next page.
std::vector<std::string> paginate(std::vector<std::string> all, const Request& request,
                                  const std::string& base, Response& response) {
  if (auto last = request.query_value("last"))
    std::erase_if(all, [&](const std::string& entry) { return entry <= *last; });
  auto n = request.query_value("n");
  auto count = n ? parse_uint64(*n) : Result<uint64_t>(fail(Errc::NotFound, ""));
  if (count && *count < all.size()) {
    all.resize(*count);
    if (!all.empty())
      response.set("Link",
                   fmt::format("<{}?n={}&last={}>; rel=\"next\"", base, *count, all.back()));
  }
  return all;
}

}  // namespace

Api::Outcome Api::manifest(Request& request, const std::string& repo,
                           const std::string& reference) {
  bool valid = is_digest_reference(reference) ? Digest::parse(reference).has_value()
                                              : image::is_valid_tag(reference);
  // Nothing can be stored under an invalid reference: reading one finds nothing (404, as
  // Distribution answers), writing one is the client's error.
  if (!valid && (request.method == "GET" || request.method == "HEAD"))
    return std::unexpected(errors::manifest_unknown(reference));
  if (!valid && is_digest_reference(reference))
    return std::unexpected(errors::digest_invalid(reference));
  if (!valid) return std::unexpected(errors::tag_invalid(reference));
  if (request.method == "PUT") return put_manifest(request, repo, reference);
  if (request.method == "DELETE") {
    auto deleted = storage_.delete_manifest(repo, reference);
    if (!deleted && deleted.error().code() == Errc::NotFound)
      return std::unexpected(errors::manifest_unknown(reference));
    if (!deleted) return std::unexpected(errors::internal(deleted.error()));
    Response response;
    response.status = 202;
    return response;
  }
  if (request.method != "GET" && request.method != "HEAD")
    return std::unexpected(errors::unsupported(request.method));
  auto stored = storage_.manifest(repo, reference);
  if (!stored && stored.error().code() == Errc::NotFound)
    return std::unexpected(errors::manifest_unknown(reference));
  if (!stored) return std::unexpected(errors::internal(stored.error()));
  Response response;
  response.set("Content-Type", stored->media_type);
  response.set("Docker-Content-Digest", stored->digest.str());
  response.set("ETag", "\"" + stored->digest.str() + "\"");
  response.body = std::move(stored->content);
  return response;
}

Api::Outcome Api::put_manifest(Request& request, const std::string& repo,
                               const std::string& reference) {
  std::string content = TRY(read_small_body(request, options_.max_manifest_bytes));
  auto refs = read_manifest_refs(content);
  if (!refs) return std::unexpected(errors::manifest_invalid(refs.error().to_string()));
  std::string media_type = TRY(media_type_of(request, *refs));
  Digest digest = Digest::of(content);
  if (is_digest_reference(reference) && reference != digest.str())
    return std::unexpected(errors::digest_invalid(
        fmt::format("the manifest's digest is {}, not {}", digest.str(), reference)));
  for (const Digest& blob : refs->blobs)
    if (!storage_.has_blob(repo, blob))
      return std::unexpected(errors::manifest_blob_unknown(blob.str()));
  for (const Digest& child : refs->manifests)
    if (!storage_.has_manifest(repo, child))
      return std::unexpected(errors::manifest_blob_unknown(child.str()));
  std::optional<std::string> tag;
  if (!is_digest_reference(reference)) tag = reference;
  auto stored = storage_.put_manifest(repo, content, media_type, tag, refs->subject);
  if (!stored) return std::unexpected(errors::internal(stored.error()));
  Response response;
  response.status = 201;
  response.set("Location", fmt::format("/v2/{}/manifests/{}", repo, digest.str()));
  response.set("Docker-Content-Digest", digest.str());
  if (refs->subject) response.set("OCI-Subject", refs->subject->str());
  return response;
}

Api::Outcome Api::tags(Request& request, const std::string& repo) {
  if (request.method != "GET" && request.method != "HEAD")
    return std::unexpected(errors::unsupported(request.method));
  auto all = storage_.tags(repo);
  if (!all) return std::unexpected(errors::name_unknown(repo));
  Response response;
  std::vector<std::string> page =
      paginate(std::move(*all), request, fmt::format("/v2/{}/tags/list", repo), response);
  Response body = json_response(200, Json{{"name", repo}, {"tags", page}});
  body.headers.insert(body.headers.end(), response.headers.begin(), response.headers.end());
  return body;
}

Api::Outcome Api::catalog(Request& request) {
  auto all = storage_.repositories();
  if (!all) return std::unexpected(errors::internal(all.error()));
  Response response;
  std::vector<std::string> page = paginate(std::move(*all), request, "/v2/_catalog", response);
  Response body = json_response(200, Json{{"repositories", page}});
  body.headers.insert(body.headers.end(), response.headers.begin(), response.headers.end());
  return body;
}

Api::Outcome Api::referrers(Request& request, const std::string& repo, const std::string& text) {
  auto subject = Digest::parse(text);
  if (!subject) return std::unexpected(errors::digest_invalid(text));
  auto filter = request.query_value("artifactType");
  auto found = storage_.referrers(repo, *subject);
  if (!found) return std::unexpected(errors::internal(found.error()));
  Json manifests = Json::array();
  for (const StoredManifest& stored : *found) {
    auto refs = read_manifest_refs(stored.content);
    if (!refs || (filter && refs->artifact_type != *filter)) continue;
    Json descriptor = {{"mediaType", stored.media_type},
                       {"digest", stored.digest.str()},
                       {"size", stored.content.size()}};
    if (!refs->artifact_type.empty()) descriptor["artifactType"] = refs->artifact_type;
    if (!refs->annotations.empty()) descriptor["annotations"] = refs->annotations;
    manifests.push_back(std::move(descriptor));
  }
  Json index = {{"schemaVersion", 2},
                {"mediaType", image::media_type::kOciIndex},
                {"manifests", std::move(manifests)}};
  Response response = json_response(200, index, image::media_type::kOciIndex);
  if (filter) response.set("OCI-Filters-Applied", "artifactType");
  return response;
}

}  // namespace quai::registry::server
