#pragma once
// A conversation with one registry about one repository: the endpoint (HTTPS, or plain
// HTTP for an insecure registry whose HTTPS fails), and auth: the Bearer token flow
// (realm, service, scopes, credentials sent only to the token server) or Basic. Forks share
// the token and have their own connection, one per transfer thread.

#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "http/client.h"
#include "registry/client/settings.h"

namespace quai::registry::client {

/// A WWW-Authenticate value, `Bearer realm="https://auth/token",service="reg",scope="…"`:
/// the scheme in lower case and the parameters (RFC 7235; quoted values may hold commas).
std::pair<std::string, std::map<std::string, std::string>> parse_challenge(std::string_view text);

/// "docker.io" → "registry-1.docker.io": where a domain's API lives.
std::string api_host(const std::string& domain);

/// An error for a registry's non-2xx answer, with the spec's code when the body has one:
/// "HTTP 404: MANIFEST_UNKNOWN: manifest unknown". NotFound for 404, PermissionDenied for
/// 401/403, Io otherwise.
Error response_error(const http::Response& response);

class Session {
 public:
  /// Pings the registry of `domain` and authenticates for `actions` ("pull", "pull,push")
  /// on `repo`. Fails fast, naming the host, when it cannot be reached.
  static Result<Session> open(const std::string& domain, const std::string& repo,
                              const std::string& actions, const ClientSettings& settings);
  /// For `login`: pings `domain` with `credentials` (none stored are used) and succeeds
  /// only when they are accepted; PermissionDenied when they are not.
  static Status check_login(const std::string& domain, const Credentials& credentials,
                            const ClientSettings& settings);
  /// The same registry, token and scopes, over a new connection.
  Result<Session> fork() const;
  /// Asks for one more scope ("repository:other/app:pull", for a cross-repository mount);
  /// a failure leaves the session as it was.
  Status add_scope(const std::string& scope);

  /// Sends `request` ("/v2/…" or an absolute URL from a Location header) with auth; a 401
  /// renews the token and tries once more (a streamed body cannot be sent twice: ask for
  /// scopes first).
  Result<http::Response> send(http::Request request);

  const std::string& domain() const { return domain_; }
  const std::string& base_url() const { return base_url_; }

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

 private:
  struct Auth;
  Session(std::string domain, std::string base_url, http::Client client,
          std::shared_ptr<Auth> auth);
  Status authenticate(const std::string& challenge);
  static Result<Session> connect(const std::string& domain, std::shared_ptr<Auth> auth,
                                 const ClientSettings& settings);

  std::string domain_;
  std::string base_url_;  // "https://registry-1.docker.io"
  http::Client client_;
  std::shared_ptr<Auth> auth_;
};

}  // namespace quai::registry::client
