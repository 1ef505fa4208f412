#include "registry/client/fetch.h"

#include "base/json.h"

namespace quai::registry::client {
namespace {

using image::Digest;

constexpr int kBlobAttempts = 4;

std::string accepted_manifest_types() {
  namespace mt = image::media_type;
  return fmt::format("Accept: {}, {}, {}, {}", mt::kOciIndex, mt::kOciManifest,
                     mt::kDockerManifestList, mt::kDockerManifest);
}

}  // namespace

Result<FetchedManifest> fetch_manifest(Session& session, const std::string& repo,
                                       const std::string& reference,
                                       const std::optional<Digest>& expected) {
  http::Request request;
  request.url = fmt::format("/v2/{}/manifests/{}", repo, reference);
  request.headers.push_back(accepted_manifest_types());
  request.max_collected = image::kMaxDocumentSize;
  http::Response response = TRY_CTX(session.send(request), "manifest {}:{}", repo, reference);
  if (response.status != 200)
    return fail(response_error(response).add_context(fmt::format("manifest {}", reference)));
  FetchedManifest fetched;
  fetched.digest = Digest::of(response.body);
  std::string announced = response.header("docker-content-digest");
  if (expected && fetched.digest != *expected)
    return fail(Errc::Corrupt, "manifest {}: the registry sent content with digest {}",
                expected->str(), fetched.digest.str());
  if (!expected && !announced.empty() && announced != fetched.digest.str())
    return fail(Errc::Corrupt,
                "manifest {}: the registry says its digest is {}, the content's is {}", reference,
                announced, fetched.digest.str());
  fetched.media_type = response.header("content-type");
  fetched.media_type = fetched.media_type.substr(0, fetched.media_type.find(';'));
  auto json = parse_json(response.body, "manifest");
  if (json && json->is_object() && json->contains("mediaType") && (*json)["mediaType"].is_string())
    fetched.media_type = (*json)["mediaType"].get<std::string>();
  if (json && json->is_object() && json->value("schemaVersion", 0) == 1)
    return fail(Errc::Unsupported,
                "manifest {}: Docker schema 1 images are not supported (deprecated since 2017)",
                reference);
  fetched.content = std::move(response.body);
  return fetched;
}

Result<image::StoredBlob> fetch_blob(Session& session, const std::string& repo,
                                     const image::Descriptor& blob, image::BlobWriter writer,
                                     const std::function<Status(std::string_view)>& also) {
  std::string origin = "blob " + blob.digest.str();
  uint64_t received = 0;
  uint64_t skip = 0;  // bytes of a restarted (not resumed) response dropped so far
  std::optional<Error> last;
  for (int attempt = 0; attempt < kBlobAttempts; ++attempt) {
    http::Request request;
    request.url = fmt::format("/v2/{}/blobs/{}", repo, blob.digest.str());
    if (received > 0) request.headers.push_back(fmt::format("Range: bytes={}-", received));
    skip = 0;
    bool restarted = false;
    const uint64_t had = received;
    request.sink = [&](std::string_view data) -> Status {
      if (restarted && skip < had) {
        size_t drop = std::min<uint64_t>(had - skip, data.size());
        skip += drop;
        data.remove_prefix(drop);
      }
      if (data.empty()) return ok();
      TRY(writer.write(data));
      if (also) TRY(also(data));
      received += data.size();
      return ok();
    };
    // A server that ignores Range sends the blob from its start: drop what we have.
    request.on_success = [&](long status) { restarted = received > 0 && status == 200; };
    auto response = session.send(request);
    if (response && (response->status == 200 || response->status == 206)) {
      return TRY_CTX(writer.commit(blob.digest, static_cast<uint64_t>(blob.size)), "{}", origin);
    }
    if (response) return fail(response_error(*response).add_context(origin));
    last = response.error();
    if (last->code() != Errc::Io) break;  // the writer or the unpacker refused: final
  }
  return fail(last->add_context(fmt::format("{} (after {} bytes)", origin, received)));
}

}  // namespace quai::registry::client
