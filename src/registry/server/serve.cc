#include "registry/server/serve.h"

#include <atomic>

#include "registry/server/htpasswd.h"

namespace quai::registry::server {
namespace {

std::atomic<HttpServer*> running{nullptr};

Status check_options(const ServeOptions& options) {
  if (options.tls_cert.empty() != options.tls_key.empty())
    return fail(Errc::InvalidArgument, "--tls-cert and --tls-key go together");
  if (options.htpasswd_file.empty() && !options.allow_anonymous &&
      !is_loopback_address(options.address))
    return fail(Errc::InvalidArgument,
                "serving {} to other machines without --htpasswd would let anyone push: give "
                "--htpasswd, or --allow-anonymous when a proxy in front authenticates",
                options.address);
  return ok();
}

}  // namespace

Status serve(const ServeOptions& options,
             const std::function<void(const std::string& address)>& on_listening) {
  TRY(check_options(options));
  Storage storage =
      TRY_CTX(Storage::open(options.storage_dir), "registry storage \"{}\"", options.storage_dir);
  ApiOptions api_options = options.api;
  if (!options.htpasswd_file.empty())
    api_options.users = std::make_shared<Htpasswd>(TRY(Htpasswd::load(options.htpasswd_file)));
  TlsContext tls;
  if (!options.tls_cert.empty()) tls = TRY(load_tls_context(options.tls_cert, options.tls_key));
  HttpServer server = TRY(HttpServer::listen(options.address));
  Api api(storage, std::move(api_options));
  running.store(&server);
  on_listening(server.address());
  Status served = server.serve([&api](Request& request) { return api.handle(request); },
                               options.limits, tls.get());
  running.store(nullptr);
  return served;
}

void stop_serving() {
  if (HttpServer* server = running.load()) server->stop();
}

}  // namespace quai::registry::server
