#include "registry/server/uploads.h"

#include "store/ids.h"

namespace quai::registry::server {

std::string UploadSessions::add(std::shared_ptr<Upload> upload) {
  std::lock_guard lock(mutex_);
  drop_expired();
  std::string id = store::random_id();
  sessions_.emplace(id, std::move(upload));
  return id;
}

std::shared_ptr<Upload> UploadSessions::find(const std::string& id, const std::string& repo) {
  std::lock_guard lock(mutex_);
  drop_expired();
  auto found = sessions_.find(id);
  if (found == sessions_.end() || found->second->repo != repo) return nullptr;
  return found->second;
}

void UploadSessions::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  sessions_.erase(id);
}

void UploadSessions::drop_expired() {
  auto now = std::chrono::steady_clock::now();
  std::erase_if(sessions_,
                [&](const auto& entry) { return now - entry.second->started > max_age_; });
}

}  // namespace quai::registry::server
