// pull, push, login, logout; registry serve, registry gc.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "base/strings.h"
#include "cli/quai/layer_display.h"
#include "cli/quai/verbs.h"
#include "registry/client/pull.h"
#include "registry/client/push.h"
#include "registry/client/session.h"
#include "registry/client/settings.h"
#include "registry/server/serve.h"
#include "registry/storage.h"

namespace quai::cli {
namespace {

void stop_on_signal(int) { registry::server::stop_serving(); }

Result<int> run_serve(registry::server::ServeOptions options, int64_t max_upload_age_seconds) {
  options.api.max_upload_age = std::chrono::seconds(max_upload_age_seconds);
  struct sigaction action = {};
  action.sa_handler = stop_on_signal;
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a TLS write to a client that went away
  TRY(registry::server::serve(options, [&](const std::string& address) {
    std::printf("quai registry: listening on %s://%s, storage %s\n",
                options.tls_cert.empty() ? "http" : "https", address.c_str(),
                options.storage_dir.c_str());
    std::fflush(stdout);
  }));
  return 0;
}

std::string default_storage(const Globals& globals) { return globals.engine.root + "/registry"; }

Result<registry::client::ClientSettings> client_settings(bool tls_verify) {
  auto settings = TRY(registry::client::load_client_settings());
  if (!tls_verify) settings.tls_verify = false;
  return settings;
}

registry::client::Reporter printer(bool quiet) {
  return [quiet](const std::string& line) {
    if (quiet) return;
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
}

// "https://index.docker.io/v1/", "index.docker.io" → "docker.io"; a URL's scheme and path go.
std::string server_name(std::string server) {
  if (size_t scheme = server.find("://"); scheme != std::string::npos)
    server = server.substr(scheme + 3);
  server = server.substr(0, server.find('/'));
  if (server.empty() || server == "index.docker.io" || server == "registry-1.docker.io")
    return "docker.io";
  return server;
}

Result<image::Compression> compression_named(const std::string& name) {
  if (name == "gzip") return image::Compression::Gzip;
  if (name == "zstd") return image::Compression::Zstd;
  if (name == "none") return image::Compression::None;
  return fail(Errc::InvalidArgument, "--compression-format {}: expected gzip, zstd or none", name);
}

// On a terminal, rows per layer redrawn in place (fed by `progress` too); elsewhere, one
// plain line an event.
registry::client::Reporter reporter(LayerDisplay& display, bool quiet,
                                    registry::client::ByteProgress& progress) {
  if (quiet || !::isatty(STDOUT_FILENO)) return printer(quiet);
  progress = [&display](const std::string& id, uint64_t done, uint64_t total) {
    display.bytes(id, done, total);
  };
  return [&display](const std::string& line) { display.line(line); };
}

void add_pull_push(CLI::App& app, Globals& globals, Action& action) {
  static std::string reference;
  static registry::client::PullOptions pull_options;
  static bool quiet = false, tls_verify = true, no_trust = false;
  auto* pull = app.add_subcommand("pull", "Download an image from a registry");
  pull->add_option("NAME", reference, "NAME[:TAG|@DIGEST]")->required();
  pull->add_flag("-a,--all-tags", pull_options.all_tags,
                 "Download all tagged images in the repository");
  pull->add_option("--platform", pull_options.platform,
                   "OS/ARCH[/VARIANT] of a multi-platform image")
      ->capture_default_str();
  pull->add_flag("-q,--quiet", quiet, "Suppress verbose output");
  pull->add_flag("--tls-verify", tls_verify, "Require HTTPS and verify certificates");
  pull->add_flag("--disable-content-trust", no_trust, "Accepted for Docker's command line");
  pull->callback([&] {
    action = [&]() -> Result<int> {
      auto settings = TRY(client_settings(tls_verify));
      auto engine = TRY(open_engine(globals));
      LayerDisplay display;
      auto report = reporter(display, quiet, pull_options.progress);
      auto results =
          registry::client::pull(engine.images(), reference, pull_options, settings, report);
      // What a failed pull stored (a config, the layers that did arrive) is of no use alone.
      if (!results) (void)engine.images().collect_garbage(engine.pinned_layers());
      // The layers are on disk once the kernel writes them back; a pull does not wait.
      engine.images().sync_deferred_layers_in_background();
      if (!results) return std::unexpected(results.error());
      for (const auto& result : *results) std::printf("%s\n", result.name.c_str());
      return 0;
    };
  });

  static std::string push_reference, compression = "gzip";
  static uint64_t chunk_size = 0;
  auto* push = app.add_subcommand("push", "Upload an image to a registry");
  push->add_option("NAME", push_reference, "NAME[:TAG]")->required();
  push->add_option("--compression-format", compression, "gzip, zstd or none")
      ->capture_default_str();
  push->add_option("--chunk-size", chunk_size,
                   "Upload blobs in chunks of this many bytes (0: whole)");
  push->add_flag("-q,--quiet", quiet, "Suppress verbose output");
  push->add_flag("--tls-verify", tls_verify, "Require HTTPS and verify certificates");
  push->add_flag("--disable-content-trust", no_trust, "Accepted for Docker's command line");
  push->callback([&] {
    action = [&]() -> Result<int> {
      registry::client::PushOptions options;
      options.compression = TRY(compression_named(compression));
      options.chunk_size = chunk_size;
      auto settings = TRY(client_settings(tls_verify));
      auto engine = TRY(open_engine(globals));
      LayerDisplay display("Pushing");
      auto report = reporter(display, quiet, options.progress);
      auto result =
          TRY(registry::client::push(engine.images(), push_reference, options, settings, report));
      if (quiet) std::printf("%s\n", result.name.c_str());
      return 0;
    };
  });
}

void add_login_logout(CLI::App& app, Action& action) {
  static std::string server, username, password;
  static bool password_stdin = false, tls_verify = true;
  auto* login = app.add_subcommand("login", "Log in to a registry");
  login->add_option("SERVER", server, "Registry (default: docker.io)");
  login->add_option("-u,--username", username, "Username");
  login->add_option("-p,--password", password, "Password");
  login->add_flag("--password-stdin", password_stdin, "Take the password from stdin");
  login->add_flag("--tls-verify", tls_verify, "Require HTTPS and verify certificates");
  login->callback([&] {
    action = [&]() -> Result<int> {
      if (password_stdin && !password.empty())
        return fail(Errc::InvalidArgument,
                    "--password and --password-stdin are mutually exclusive");
      if (!password.empty())
        std::fprintf(stderr,
                     "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
      if (password_stdin) {
        std::getline(std::cin, password);
        if (!password.empty() && password.back() == '\r') password.pop_back();
      }
      if (username.empty() || password.empty())
        return fail(Errc::InvalidArgument,
                    "login needs --username and a password (-p or --password-stdin)");
      std::string name = server_name(server);
      auto settings = TRY(client_settings(tls_verify));
      registry::client::Credentials credentials{username, password};
      TRY(registry::client::Session::check_login(name, credentials, settings));
      TRY(registry::client::store_credentials(settings.auth_file, name, credentials));
      std::printf("Login Succeeded\n");
      return 0;
    };
  });

  static std::string logout_server;
  auto* logout = app.add_subcommand("logout", "Log out from a registry");
  logout->add_option("SERVER", logout_server, "Registry (default: docker.io)");
  logout->callback([&] {
    action = [&]() -> Result<int> {
      std::string name = server_name(logout_server);
      if (!TRY(registry::client::remove_credentials(registry::client::default_auth_file(), name))) {
        std::printf("Not logged in to %s\n", name.c_str());
        return 0;
      }
      std::printf("Removing login credentials for %s\n", name.c_str());
      return 0;
    };
  });
}

}  // namespace

void add_registry_verbs(CLI::App& app, Globals& globals, Action& action) {
  add_pull_push(app, globals, action);
  add_login_logout(app, action);
  auto* registry = app.add_subcommand("registry", "Run a registry (OCI distribution API)");
  registry->require_subcommand(1);

  static registry::server::ServeOptions serve;
  static int64_t upload_age = 24 * 3600;
  static uint64_t quota = 0;
  auto* serve_command = registry->add_subcommand("serve", "Serve images over HTTP(S)");
  serve_command->add_option("-a,--addr", serve.address, "Listen on HOST:PORT")
      ->capture_default_str();
  serve_command->add_option("--storage", serve.storage_dir,
                            "Storage directory (default: ROOT/registry)");
  serve_command->add_option("--htpasswd", serve.htpasswd_file,
                            "Require HTTP basic auth against this file (bcrypt entries)");
  serve_command->add_option("--tls-cert", serve.tls_cert, "Serve HTTPS with this PEM certificate");
  serve_command->add_option("--tls-key", serve.tls_key, "The certificate's PEM private key");
  serve_command->add_flag("--allow-anonymous", serve.allow_anonymous,
                          "Allow unauthenticated access on a non-loopback address");
  serve_command->add_flag("--read-only", serve.api.read_only, "Refuse pushes and deletes");
  serve_command
      ->add_option("--max-manifest-size", serve.api.max_manifest_bytes,
                   "Largest manifest accepted, in bytes")
      ->capture_default_str();
  serve_command
      ->add_option("--max-upload-age", upload_age, "Seconds an upload session may stay open")
      ->capture_default_str();
  serve_command->add_option("--quota", quota, "Largest blob accepted, in bytes (0: free space)");
  serve_command->callback([&] {
    action = [&]() -> Result<int> {
      if (serve.storage_dir.empty()) serve.storage_dir = default_storage(globals);
      serve.api.quota_bytes = quota;
      return run_serve(serve, upload_age);
    };
  });

  static std::string gc_storage;
  static bool dry_run = false;
  auto* gc = registry->add_subcommand("gc", "Remove blobs that no manifest refers to");
  gc->add_option("--storage", gc_storage, "Storage directory (default: ROOT/registry)");
  gc->add_flag("-n,--dry-run", dry_run, "Only count what would be removed");
  gc->callback([&] {
    action = [&]() -> Result<int> {
      std::string dir = gc_storage.empty() ? default_storage(globals) : gc_storage;
      auto storage = TRY_CTX(registry::Storage::open(dir), "registry storage \"{}\"", dir);
      auto report = TRY(storage.collect_garbage(dry_run));
      std::printf("%s %d blobs, %llu bytes\n", dry_run ? "would remove" : "removed",
                  report.blobs_removed, static_cast<unsigned long long>(report.bytes_freed));
      return 0;
    };
  });
}

}  // namespace quai::cli
