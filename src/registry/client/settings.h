#pragma once
// How the client reaches registries: per-registry settings from a JSON file, and the
// credentials `quai login` keeps.
//
// Settings ($QUAI_REGISTRIES_CONFIG, else /etc/quai/registries.json; absent is empty):
//   {"max-concurrent-downloads": 3, "max-concurrent-uploads": 2,
//    "registries": {"10.0.0.5:5000": {"insecure": true, "ca-file": "/etc/ssl/reg.pem",
//                                     "mirrors": ["mirror.lan:5000"]}}}
// Loopback registries ("localhost", 127.0.0.0/8, [::1]) are insecure unless listed
// otherwise, as Docker treats them: HTTPS is tried first, then plain HTTP.
//
// Credentials ($REGISTRY_AUTH_FILE, else $HOME/.config/quai/auth.json, mode 0600), in
// Docker's format: {"auths": {"HOST": {"auth": base64("user:password")}}}. Docker's
// ~/.docker/config.json is read too when ours has no entry for a host.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace quai::registry::client {

struct RegistrySettings {
  bool insecure = false;  // plain HTTP allowed after HTTPS fails; certificates not verified
  std::string ca_file;
  std::vector<std::string> mirrors;
};

struct ClientSettings {
  std::map<std::string, RegistrySettings> registries;
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 2;
  /// --tls-verify: false skips certificate checks and allows plain HTTP for every registry.
  std::optional<bool> tls_verify;
  std::string auth_file;

  /// The settings of `host` ("docker.io", "127.0.0.1:5000").
  RegistrySettings for_host(const std::string& host) const;
};

/// Reads the settings file (the environment's or `path`); errors name the file and field.
Result<ClientSettings> load_client_settings(const std::string& path = "");

struct Credentials {
  std::string username;
  std::string password;
};

std::string default_auth_file();
/// The credentials stored for host (ours, then Docker's file); none when there are none.
Result<std::optional<Credentials>> read_credentials(const std::string& auth_file,
                                                    const std::string& host);
/// Stores (replacing) host's credentials; the file is written whole with mode 0600.
Status store_credentials(const std::string& auth_file, const std::string& host,
                         const Credentials& credentials);
/// False when there were none to remove.
Result<bool> remove_credentials(const std::string& auth_file, const std::string& host);

}  // namespace quai::registry::client
