#pragma once
// Users from an htpasswd file (bcrypt entries, as `htpasswd -B` writes them), checked
// against HTTP Basic credentials. bcrypt is slow on purpose (tens of ms a check), so a
// verified credential is remembered for a few minutes, keyed by its SHA-256.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"

namespace quai::registry::server {

class Htpasswd {
 public:
  /// InvalidArgument naming file:line for a line that is not "user:$2y$…" (bcrypt only:
  /// the older MD5, SHA-1 and crypt() forms are too weak to serve a registry).
  static Result<Htpasswd> load(const std::string& path);
  static Result<Htpasswd> parse(std::string_view text, std::string_view origin);

  /// True for an "Authorization: Basic …" value naming a user with the right password.
  bool allows(std::string_view authorization) const;

 private:
  struct Verified {
    std::mutex mutex;
    std::map<std::string, std::chrono::steady_clock::time_point> when;  // by SHA-256
  };

  std::map<std::string, std::string> hashes_;  // user → bcrypt hash
  std::unique_ptr<Verified> verified_ = std::make_unique<Verified>();
};

}  // namespace quai::registry::server
