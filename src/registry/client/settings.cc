#include "registry/client/settings.h"

#include <cstdlib>

#include "base/base64.h"
#include "base/json.h"
#include "store/json_file.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::registry::client {
namespace {

constexpr const char* kSystemSettings = "/etc/quai/registries.json";

std::string host_of(const std::string& address) {
  if (address.starts_with("[")) return address.substr(0, address.find(']') + 1);
  return address.substr(
      0, address.rfind(':') == std::string::npos ? address.size() : address.rfind(':'));
}

bool is_loopback_host(const std::string& address) {
  std::string host = host_of(address);
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

Result<RegistrySettings> read_registry(const JsonReader& entry) {
  RegistrySettings settings;
  settings.insecure = TRY(entry.boolean("insecure", false));
  settings.ca_file = TRY(entry.optional_string("ca-file")).value_or("");
  settings.mirrors = TRY(entry.strings("mirrors"));
  return settings;
}

Result<ClientSettings> parse_settings(const std::string& text, const std::string& origin) {
  Json json = TRY(parse_json(text, origin));
  JsonReader root(json, "");
  TRY_CTX(root.expect_object(), "{}", origin);
  ClientSettings settings;
  auto downloads = TRY_CTX(root.optional_int64("max-concurrent-downloads"), "{}", origin);
  auto uploads = TRY_CTX(root.optional_int64("max-concurrent-uploads"), "{}", origin);
  if (downloads)
    settings.max_concurrent_downloads = static_cast<int>(std::clamp<int64_t>(*downloads, 1, 64));
  if (uploads)
    settings.max_concurrent_uploads = static_cast<int>(std::clamp<int64_t>(*uploads, 1, 64));
  if (root.has("registries")) {
    JsonReader registries = TRY_CTX(root.object("registries"), "{}", origin);
    TRY_CTX(registries.expect_object(), "{}", origin);
    for (const auto& [host, value] : registries.value().items()) {
      JsonReader entry(value, registries.child_path(host));
      TRY_CTX(entry.expect_object(), "{}", origin);
      settings.registries[host] = TRY_CTX(read_registry(entry), "{}", origin);
    }
  }
  return settings;
}

Result<Json> read_auth_json(const std::string& path) {
  auto text = sys::read_file(path);
  if (!text && text.error().code() == Errc::NotFound) return Json::object();
  if (!text) return std::unexpected(text.error());
  Json json = TRY(parse_json(*text, path));
  if (!json.is_object()) return fail(Errc::InvalidArgument, "{}: expected an object", path);
  return json;
}

// Docker keeps Docker Hub under its old index URL.
std::string docker_key(const std::string& host) {
  return host == "docker.io" ? "https://index.docker.io/v1/" : host;
}

Result<std::optional<Credentials>> lookup(const Json& json, const std::string& key,
                                          const std::string& origin) {
  if (!json.contains("auths") || !json["auths"].is_object() || !json["auths"].contains(key))
    return std::nullopt;
  const Json& entry = json["auths"][key];
  if (!entry.is_object() || !entry.contains("auth") || !entry["auth"].is_string())
    return std::nullopt;
  auto decoded = base64_decode(entry["auth"].get<std::string>());
  size_t colon = decoded ? decoded->find(':') : std::string::npos;
  if (colon == std::string::npos)
    return fail(Errc::InvalidArgument, "{}: auths.{}.auth: expected base64 of USER:PASSWORD",
                origin, key);
  return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

}  // namespace

RegistrySettings ClientSettings::for_host(const std::string& host) const {
  auto found = registries.find(host);
  RegistrySettings settings = found != registries.end() ? found->second : RegistrySettings{};
  if (found == registries.end() && is_loopback_host(host)) settings.insecure = true;
  if (tls_verify == false) settings.insecure = true;
  return settings;
}

Result<ClientSettings> load_client_settings(const std::string& path) {
  std::string file = path;
  if (file.empty()) {
    const char* env = std::getenv("QUAI_REGISTRIES_CONFIG");
    file = env != nullptr && *env != '\0' ? env : kSystemSettings;
  }
  ClientSettings settings;
  auto text = sys::read_file(file);
  if (text) {
    settings = TRY(parse_settings(*text, file));
  } else if (text.error().code() != Errc::NotFound) {
    return std::unexpected(text.error());
  }
  settings.auth_file = default_auth_file();
  return settings;
}

std::string default_auth_file() {
  const char* env = std::getenv("REGISTRY_AUTH_FILE");
  if (env != nullptr && *env != '\0') return env;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : "/root") + "/.config/quai/auth.json";
}

Result<std::optional<Credentials>> read_credentials(const std::string& auth_file,
                                                    const std::string& host) {
  Json ours = TRY(read_auth_json(auth_file));
  auto found = TRY(lookup(ours, host, auth_file));
  if (found) return found;
  const char* home = std::getenv("HOME");
  if (home == nullptr) return std::nullopt;
  std::string docker_file = std::string(home) + "/.docker/config.json";
  auto docker = read_auth_json(docker_file);
  if (!docker) return std::nullopt;  // Docker's file is a courtesy; a broken one is not ours
  return lookup(*docker, docker_key(host), docker_file);
}

Status store_credentials(const std::string& auth_file, const std::string& host,
                         const Credentials& credentials) {
  Json json = TRY(read_auth_json(auth_file));
  json["auths"][host] = {
      {"auth", base64_encode(credentials.username + ":" + credentials.password)}};
  TRY(sys::mkdir_p(auth_file.substr(0, auth_file.rfind('/')), 0700));
  return sys::write_file_atomic(auth_file, json.dump(2) + "\n", 0600);
}

Result<bool> remove_credentials(const std::string& auth_file, const std::string& host) {
  Json json = TRY(read_auth_json(auth_file));
  if (!json.contains("auths") || !json["auths"].is_object() || !json["auths"].contains(host))
    return false;
  json["auths"].erase(host);
  TRY(sys::write_file_atomic(auth_file, json.dump(2) + "\n", 0600));
  return true;
}

}  // namespace quai::registry::client
