// Blobs: GET/HEAD (with ranges), DELETE, and uploads (monolithic, chunked, resumable,
// cross-repository mount).
#include <sys/statvfs.h>

#include "base/strings.h"
#include "image/reference.h"
#include "registry/server/api.h"
#include "registry/server/api_errors.h"
#include "registry/server/uploads.h"

namespace quai::registry::server {
namespace {

using image::Digest;

std::expected<Digest, ApiError> parse_digest(std::string_view text) {
  auto digest = Digest::parse(text);
  if (!digest) return std::unexpected(errors::digest_invalid(digest.error().message()));
  return *digest;
}

// "bytes=A-B", "bytes=A-": the inclusive range within size, or an error for 416.
std::expected<std::pair<uint64_t, uint64_t>, ApiError> parse_range(std::string_view header,
                                                                   uint64_t size) {
  if (!header.starts_with("bytes=")) return std::unexpected(errors::range_invalid(header));
  std::string_view spec = header.substr(6);
  size_t dash = spec.find('-');
  auto first = parse_uint64(spec.substr(0, dash));
  if (dash == std::string_view::npos || !first || *first >= size)
    return std::unexpected(errors::range_invalid(header));
  std::string_view end_text = spec.substr(dash + 1);
  uint64_t last = size - 1;
  if (!end_text.empty()) {
    auto end = parse_uint64(end_text);
    if (!end || *end < *first) return std::unexpected(errors::range_invalid(header));
    last = std::min(*end, size - 1);
  }
  return std::pair{*first, last};
}

// Streams the request body into the upload; what arrived before an error stays, so that a
// client can ask where it stands and resume (spec "resumable uploads").
std::optional<ApiError> append_body(Request& request, image::BlobWriter& writer) {
  std::string buffer(1 << 18, '\0');
  for (;;) {
    auto n = request.body->read_some(buffer.data(), buffer.size());
    if (!n) return errors::upload_invalid(n.error().to_string());
    if (*n == 0) return std::nullopt;
    auto written = writer.write(std::string_view(buffer.data(), *n));
    if (!written) return errors::internal(written.error());
  }
}

std::string upload_range(uint64_t size) { return fmt::format("0-{}", size == 0 ? 0 : size - 1); }

Response upload_accepted(int status, const std::string& repo, const std::string& id,
                         uint64_t size) {
  Response response;
  response.status = status;
  response.set("Location", fmt::format("/v2/{}/blobs/uploads/{}", repo, id));
  response.set("Range", upload_range(size));
  response.set("Docker-Upload-UUID", id);
  return response;
}

Response blob_created(const std::string& repo, const Digest& digest) {
  Response response;
  response.status = 201;
  response.set("Location", fmt::format("/v2/{}/blobs/{}", repo, digest.str()));
  response.set("Docker-Content-Digest", digest.str());
  return response;
}

}  // namespace

std::optional<ApiError> Api::check_space(uint64_t incoming) const {
  struct statvfs fs {};
  if (::statvfs(storage_.dir().c_str(), &fs) == 0) {
    uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    if (incoming > free_bytes)
      return errors::too_large(
          "SIZE_INVALID",
          fmt::format("a blob of {} bytes does not fit: the storage has {} bytes free", incoming,
                      free_bytes));
  }
  if (options_.quota_bytes > 0 && incoming > options_.quota_bytes)
    return errors::too_large(
        "SIZE_INVALID", fmt::format("a blob of {} bytes exceeds the quota of {} bytes", incoming,
                                    options_.quota_bytes));
  return std::nullopt;
}

Api::Outcome Api::blob(Request& request, const std::string& repo, const std::string& text) {
  Digest digest = TRY(parse_digest(text));
  if (request.method == "DELETE") {
    if (!storage_.unlink_blob(repo, digest)) return std::unexpected(errors::blob_unknown(text));
    Response response;
    response.status = 202;
    return response;
  }
  if (request.method != "GET" && request.method != "HEAD")
    return std::unexpected(errors::unsupported(request.method));
  if (!storage_.has_blob(repo, digest)) return std::unexpected(errors::blob_unknown(text));
  auto file = storage_.blobs().open_blob(digest);
  auto size = storage_.blobs().size(digest);
  if (!file || !size) return std::unexpected(errors::blob_unknown(text));
  Response response;
  response.file = std::move(*file);
  response.file_length = *size;
  response.set("Content-Type", "application/octet-stream");
  response.set("Docker-Content-Digest", digest.str());
  response.set("ETag", "\"" + digest.str() + "\"");
  response.set("Accept-Ranges", "bytes");
  std::string_view range = request.header("range");
  if (!range.empty() && *size > 0) {
    auto [first, last] = TRY(parse_range(range, *size));
    response.status = 206;
    response.file_offset = first;
    response.file_length = last - first + 1;
    response.set("Content-Range", fmt::format("bytes {}-{}/{}", first, last, *size));
  }
  return response;
}

Api::Outcome Api::start_upload(Request& request, const std::string& repo) {
  if (request.method != "POST") return std::unexpected(errors::unsupported(request.method));
  auto mount = request.query_value("mount");
  auto from = request.query_value("from");
  if (mount && from && image::is_valid_repository_path(*from)) {
    auto digest = Digest::parse(*mount);
    if (digest && storage_.has_blob(*from, *digest)) {
      if (auto linked = storage_.link_blob(repo, *digest); !linked)
        return std::unexpected(errors::internal(linked.error()));
      return blob_created(repo, *digest);
    }
  }
  if (auto error = check_space(request.content_length.value_or(0))) return std::unexpected(*error);
  auto digest_text = request.query_value("digest");
  // A monolithic upload must not grow past the length it announced; a session's length is
  // known only at its end.
  auto writer = storage_.blobs().writer(digest_text ? request.content_length : std::nullopt);
  if (!writer) return std::unexpected(errors::internal(writer.error()));
  auto upload = std::make_shared<Upload>(repo, std::move(*writer));
  if (digest_text) {
    Digest digest = TRY(parse_digest(*digest_text));
    if (auto error = append_body(request, upload->writer)) return std::unexpected(*error);
    return finish_upload(*upload, repo, digest);
  }
  std::string id = uploads_->add(std::move(upload));
  return upload_accepted(202, repo, id, 0);
}

Api::Outcome Api::finish_upload(Upload& upload, const std::string& repo, const Digest& digest) {
  auto stored = upload.writer.commit(digest);
  if (!stored && stored.error().code() == Errc::Corrupt)
    return std::unexpected(errors::digest_invalid(stored.error().message()));
  if (!stored) return std::unexpected(errors::internal(stored.error()));
  if (auto linked = storage_.link_blob(repo, digest); !linked)
    return std::unexpected(errors::internal(linked.error()));
  return blob_created(repo, digest);
}

Api::Outcome Api::continue_upload(Request& request, const std::string& repo,
                                  const std::string& id) {
  std::shared_ptr<Upload> upload = uploads_->find(id, repo);
  if (!upload) return std::unexpected(errors::upload_unknown(id));
  std::lock_guard lock(upload->mutex);
  uint64_t offset = upload->writer.size();
  if (request.method == "GET") return upload_accepted(204, repo, id, offset);
  if (request.method == "DELETE") {
    uploads_->remove(id);
    Response response;
    response.status = 204;
    return response;
  }
  if (request.method != "PATCH" && request.method != "PUT")
    return std::unexpected(errors::unsupported(request.method));
  std::string_view content_range = request.header("content-range");
  if (!content_range.empty()) {
    auto start = parse_uint64(content_range.substr(0, content_range.find('-')));
    if (!start || *start != offset) {
      Response refused = upload_accepted(416, repo, id, offset);
      return refused;
    }
  }
  if (auto error = check_space(request.content_length.value_or(0))) return std::unexpected(*error);
  if (auto error = append_body(request, upload->writer)) return std::unexpected(*error);
  if (request.method == "PATCH") return upload_accepted(202, repo, id, upload->writer.size());
  auto digest_text = request.query_value("digest");
  if (!digest_text) return std::unexpected(errors::digest_invalid("the PUT names no digest"));
  uploads_->remove(id);
  Digest digest = TRY(parse_digest(*digest_text));
  return finish_upload(*upload, repo, digest);
}

}  // namespace quai::registry::server
