#pragma once
// Blob upload sessions (POST … PATCH … PUT): the bytes so far live in an unnamed temporary
// file hashed as they arrive (image::BlobWriter), so a session's data is never visible as
// a blob, and a session dropped, expired or lost with the process leaves nothing behind.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "image/blob_store.h"

namespace quai::registry::server {

struct Upload {
  explicit Upload(std::string repo_name, image::BlobWriter blob_writer)
      : repo(std::move(repo_name)), writer(std::move(blob_writer)) {}

  std::mutex mutex;  // one request at a time writes a session
  const std::string repo;
  image::BlobWriter writer;
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

/// Thread-safe.
class UploadSessions {
 public:
  explicit UploadSessions(std::chrono::seconds max_age) : max_age_(max_age) {}

  /// A new session's id (random, URL-safe).
  std::string add(std::shared_ptr<Upload> upload);
  /// The session, when it exists for this repository and has not expired.
  std::shared_ptr<Upload> find(const std::string& id, const std::string& repo);
  void remove(const std::string& id);

 private:
  void drop_expired();  // the caller holds mutex_

  std::chrono::seconds max_age_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Upload>> sessions_;
};

}  // namespace quai::registry::server
