#include "registry/server/htpasswd.h"

#include <crypt.h>

#include <memory>
#include <optional>

#include "base/base64.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "sys/file_io.h"

namespace quai::registry::server {
namespace {

constexpr auto kRemembered = std::chrono::minutes(5);

bool bcrypt_matches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();
  // crypt_rn, not crypt_r: the same libxcrypt call, returning NULL rather than a "*" string
  // on failure, and not one of the calls ASan intercepts (its crypt_r wrapper crashes here).
  const char* result = ::crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof *data);
  return result != nullptr && hash == result;
}

}  // namespace

Result<Htpasswd> Htpasswd::load(const std::string& path) {
  std::string text = TRY(sys::read_file(path));
  return parse(text, path);
}

Result<Htpasswd> Htpasswd::parse(std::string_view text, std::string_view origin) {
  Htpasswd users;
  int number = 0;
  for (const std::string& raw : split(text, '\n')) {
    ++number;
    std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    size_t colon = line.find(':');
    std::string_view hash = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (colon == 0 ||
        !(hash.starts_with("$2y$") || hash.starts_with("$2b$") || hash.starts_with("$2a$")))
      return fail(Errc::InvalidArgument,
                  "{}:{}: expected USER:BCRYPT-HASH (htpasswd -B); other hash forms are refused",
                  origin, number);
    users.hashes_.emplace(std::string(line.substr(0, colon)), std::string(hash));
  }
  return users;
}

bool Htpasswd::allows(std::string_view authorization) const {
  if (authorization.size() < 6 || to_lower(authorization.substr(0, 6)) != "basic ") return false;
  auto credentials = base64_decode(trim(authorization.substr(6)));
  if (!credentials) return false;
  size_t colon = credentials->find(':');
  if (colon == std::string::npos) return false;
  auto user = hashes_.find(credentials->substr(0, colon));
  if (user == hashes_.end()) return false;
  std::string key = sha256_hex(*credentials);
  auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(verified_->mutex);
    auto seen = verified_->when.find(key);
    if (seen != verified_->when.end() && now - seen->second < kRemembered) return true;
  }
  if (!bcrypt_matches(credentials->substr(colon + 1), user->second)) return false;
  std::lock_guard lock(verified_->mutex);
  verified_->when[key] = now;
  return true;
}

}  // namespace quai::registry::server
