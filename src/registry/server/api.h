#pragma once
// The OCI distribution API (spec 1.1) over the registry's Storage: routing, the handlers of
// each endpoint, and the spec's JSON error bodies. One Api serves every connection thread.

#include <chrono>
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <string>

#include "registry/server/http.h"
#include "registry/storage.h"

namespace quai::registry::server {

class Htpasswd;
class UploadSessions;
struct Upload;

struct ApiOptions {
  size_t max_manifest_bytes = 4 << 20;
  std::chrono::seconds max_upload_age{24 * 3600};
  /// Blob bytes the storage may hold in all (0: only the file system's free space counts).
  uint64_t quota_bytes = 0;
  /// Basic auth against these users; none: anonymous access (loopback only, see serve).
  std::shared_ptr<const Htpasswd> users;
  /// Refuses pushes and deletes (while a garbage collection runs elsewhere).
  bool read_only = false;
};

/// One error of the spec's table: the HTTP status and the code clients branch on.
struct ApiError {
  int status;
  std::string code;  // "BLOB_UNKNOWN", "NAME_INVALID", …
  std::string message;
};

class Api {
 public:
  Api(Storage& storage, ApiOptions options);
  ~Api();

  Response handle(Request& request);

 private:
  using Outcome = std::expected<Response, ApiError>;

  Outcome route(Request& request);
  Outcome blob(Request& request, const std::string& repo, const std::string& digest);
  Outcome start_upload(Request& request, const std::string& repo);
  Outcome finish_upload(Upload& upload, const std::string& repo, const image::Digest& digest);
  Outcome continue_upload(Request& request, const std::string& repo, const std::string& id);
  Outcome manifest(Request& request, const std::string& repo, const std::string& reference);
  Outcome put_manifest(Request& request, const std::string& repo, const std::string& reference);
  Outcome tags(Request& request, const std::string& repo);
  Outcome catalog(Request& request);
  Outcome referrers(Request& request, const std::string& repo, const std::string& digest);
  std::optional<ApiError> check_space(uint64_t incoming) const;

  Storage& storage_;
  ApiOptions options_;
  std::unique_ptr<UploadSessions> uploads_;
};

}  // namespace quai::registry::server
