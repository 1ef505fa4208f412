#include "registry/client/session.h"

#include <map>
#include <mutex>

#include "base/base64.h"
#include "base/json.h"
#include "base/strings.h"

namespace quai::registry::client {
namespace {

std::string url_escape(std::string_view text);

}  // namespace

std::pair<std::string, std::map<std::string, std::string>> parse_challenge(std::string_view text) {
  text = trim(text);
  size_t space = text.find(' ');
  std::string scheme = to_lower(text.substr(0, space));
  std::map<std::string, std::string> params;
  std::string_view rest = space == std::string_view::npos ? "" : text.substr(space + 1);
  while (!rest.empty()) {
    rest = trim(rest);
    size_t equals = rest.find('=');
    if (equals == std::string_view::npos) break;
    std::string key = to_lower(trim(rest.substr(0, equals)));
    rest.remove_prefix(equals + 1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      size_t close = rest.find('"', 1);
      value =
          std::string(rest.substr(1, close == std::string_view::npos ? rest.size() : close - 1));
      rest.remove_prefix(close == std::string_view::npos ? rest.size() : close + 1);
    } else {
      size_t comma = rest.find(',');
      value = std::string(trim(rest.substr(0, comma)));
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma);
    }
    params[key] = value;
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
  return {scheme, params};
}

namespace {

std::string url_escape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

}  // namespace

std::string api_host(const std::string& domain) {
  return domain == "docker.io" ? "registry-1.docker.io" : domain;
}

Error response_error(const http::Response& response) {
  std::string detail;
  if (auto json = parse_json(response.body, "response");
      json && json->is_object() && json->contains("errors") && (*json)["errors"].is_array() &&
      !(*json)["errors"].empty()) {
    const Json& first = (*json)["errors"][0];
    if (first.is_object())
      detail = fmt::format(": {}: {}", first.value("code", "?"), first.value("message", ""));
  }
  Errc code = response.status == 404                             ? Errc::NotFound
              : response.status == 401 || response.status == 403 ? Errc::PermissionDenied
                                                                 : Errc::Io;
  return Error(code, fmt::format("HTTP {}{}", response.status, detail));
}

struct Session::Auth {
  std::mutex mutex;
  std::optional<Credentials> credentials;
  std::vector<std::string> scopes;
  std::string header;     // "Bearer …" or "Basic …", empty: anonymous
  std::string challenge;  // the last WWW-Authenticate, to renew from
  http::TlsOptions tls;
};

Session::Session(std::string domain, std::string base_url, http::Client client,
                 std::shared_ptr<Auth> auth)
    : domain_(std::move(domain)),
      base_url_(std::move(base_url)),
      client_(std::move(client)),
      auth_(std::move(auth)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Session> Session::open(const std::string& domain, const std::string& repo,
                              const std::string& actions, const ClientSettings& settings) {
  auto auth = std::make_shared<Auth>();
  auth->credentials = TRY(read_credentials(settings.auth_file, domain));
  auth->scopes.push_back(fmt::format("repository:{}:{}", repo, actions));
  return connect(domain, std::move(auth), settings);
}

Status Session::check_login(const std::string& domain, const Credentials& credentials,
                            const ClientSettings& settings) {
  auto auth = std::make_shared<Auth>();
  auth->credentials = credentials;
  auto session = connect(domain, std::move(auth), settings);
  if (!session && session.error().code() == Errc::PermissionDenied)
    return fail(Errc::PermissionDenied, "login to {}: unauthorized: incorrect username or password",
                domain);
  if (!session) return fail(session.error().add_context(fmt::format("login to {}", domain)));
  http::Request ping;
  ping.url = "/v2/";
  http::Response answer = TRY(session->send(ping));
  if (answer.status == 401 || answer.status == 403)
    return fail(Errc::PermissionDenied, "login to {}: unauthorized: incorrect username or password",
                domain);
  if (answer.status != 200)
    return fail(response_error(answer).add_context(fmt::format("login to {}", domain)));
  return ok();
}

// Pings /v2/: HTTPS first, plain HTTP for an insecure registry whose HTTPS fails; a 401
// starts the challenge's auth flow at once, so that streamed uploads never meet one.
Result<Session> Session::connect(const std::string& domain, std::shared_ptr<Auth> auth,
                                 const ClientSettings& settings) {
  RegistrySettings registry = settings.for_host(domain);
  auth->tls.verify = !registry.insecure;
  auth->tls.ca_file = registry.ca_file;
  http::Client client = TRY(http::Client::make(auth->tls));
  std::string host = api_host(domain);
  http::Request ping;
  ping.url = "https://" + host + "/v2/";
  auto answer = client.perform(ping);
  if (!answer && registry.insecure) {
    ping.url = "http://" + host + "/v2/";
    auto plain = client.perform(ping);
    if (plain) answer = std::move(plain);
  }
  if (!answer)
    return fail(Errc::Io, "registry {} cannot be reached: {}", domain, answer.error().message());
  std::string base = ping.url.substr(0, ping.url.size() - 4);
  Session session(domain, base, std::move(client), std::move(auth));
  if (answer->status == 401) {
    TRY(session.authenticate(answer->header("www-authenticate")));
  } else if (answer->status != 200) {
    return fail(response_error(*answer).add_context(fmt::format("ping {}", ping.url)));
  }
  return session;
}

Result<Session> Session::fork() const {
  http::Client client = TRY(http::Client::make(auth_->tls));
  return Session(domain_, base_url_, std::move(client), auth_);
}

Status Session::add_scope(const std::string& scope) {
  std::string challenge;
  {
    std::lock_guard lock(auth_->mutex);
    if (std::find(auth_->scopes.begin(), auth_->scopes.end(), scope) != auth_->scopes.end())
      return ok();
    auth_->scopes.push_back(scope);
    challenge = auth_->challenge;
  }
  if (challenge.empty() || !challenge.starts_with("Bearer")) return ok();
  auto renewed = authenticate(challenge);
  if (!renewed) {
    std::lock_guard lock(auth_->mutex);
    std::erase(auth_->scopes, scope);
  }
  return renewed;
}

// Basic: the stored credentials go with every request. Bearer: a token for the session's
// scopes from the realm, asked with the credentials (if any); only the token reaches the
// registry.
Status Session::authenticate(const std::string& challenge) {
  auto [scheme, params] = parse_challenge(challenge);
  std::lock_guard lock(auth_->mutex);
  auth_->challenge = challenge;
  std::string basic;
  if (auth_->credentials)
    basic =
        "Basic " + base64_encode(auth_->credentials->username + ":" + auth_->credentials->password);
  if (scheme == "basic") {
    if (basic.empty())
      return fail(Errc::PermissionDenied, "{} requires authentication: run quai login {}", domain_,
                  domain_);
    auth_->header = basic;
    return ok();
  }
  if (scheme != "bearer" || params["realm"].empty())
    return fail(Errc::Unsupported, "{}: unsupported authentication challenge \"{}\"", domain_,
                challenge);
  http::Request request;
  request.url = params["realm"] + "?service=" + url_escape(params["service"]);
  for (const std::string& scope : auth_->scopes) request.url += "&scope=" + url_escape(scope);
  if (!basic.empty()) request.headers.push_back("Authorization: " + basic);
  http::Response response =
      TRY_CTX(client_.perform(request), "get a token from {}", params["realm"]);
  if (response.status != 200)
    return fail(response_error(response).add_context(
        fmt::format("{}: token from {}{}", domain_, params["realm"],
                    auth_->credentials ? "" : " (not logged in)")));
  Json json = TRY_CTX(parse_json(response.body, "token response"), "{}", params["realm"]);
  std::string token = json.is_object() ? json.value("token", json.value("access_token", "")) : "";
  if (token.empty())
    return fail(Errc::Corrupt, "{}: the token server {} sent no token", domain_, params["realm"]);
  auth_->header = "Bearer " + token;
  return ok();
}

Result<http::Response> Session::send(http::Request request) {
  if (request.url.starts_with("/")) request.url = base_url_ + request.url;
  for (int attempt = 0;; ++attempt) {
    http::Request sent = request;
    {
      std::lock_guard lock(auth_->mutex);
      if (!auth_->header.empty()) sent.headers.push_back("Authorization: " + auth_->header);
    }
    http::Response response = TRY(client_.perform(sent));
    bool replayable = !request.body_reader;
    if (response.status != 401 || attempt > 0 || !replayable) return response;
    TRY(authenticate(response.header("www-authenticate")));
  }
}

}  // namespace quai::registry::client
