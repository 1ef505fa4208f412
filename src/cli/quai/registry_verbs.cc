// registry serve, registry gc.

#include <signal.h>

#include <cstdio>

#include "cli/quai/verbs.h"
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
  ::signal(SIGPIPE, SIG_IGN);  // sendfile() to a client that went away
  TRY(registry::server::serve(options, [&](const std::string& address) {
    std::printf("quai registry: listening on %s://%s, storage %s\n",
                options.tls_cert.empty() ? "http" : "https", address.c_str(),
                options.storage_dir.c_str());
    std::fflush(stdout);
  }));
  return 0;
}

std::string default_storage(const Globals& globals) { return globals.engine.root + "/registry"; }

}  // namespace

void add_registry_verbs(CLI::App& app, Globals& globals, Action& action) {
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
