#pragma once
// `quai registry serve`: the storage, the API and the HTTP server put together.

#include <functional>
#include <string>

#include "base/result.h"
#include "registry/server/api.h"
#include "registry/server/http_server.h"

namespace quai::registry::server {

struct ServeOptions {
  std::string address = "127.0.0.1:5000";
  std::string storage_dir;
  std::string htpasswd_file;  // empty: no auth, allowed on loopback only
  std::string tls_cert, tls_key;
  /// Anonymous access on a non-loopback address, for a registry behind an authenticating
  /// proxy; off, such a server refuses to start.
  bool allow_anonymous = false;
  ApiOptions api;
  ServerLimits limits;
};

/// Serves until stop_serving(); `on_listening` gets the bound address ("127.0.0.1:41234")
/// once requests are accepted. InvalidArgument for options that do not fit together.
Status serve(const ServeOptions& options,
             const std::function<void(const std::string& address)>& on_listening);
/// Async-signal-safe: makes serve() return after its connections have ended.
void stop_serving();

}  // namespace quai::registry::server
