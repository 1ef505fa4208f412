#include "registry/client/pull.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "base/json.h"
#include "base/strings.h"
#include "image/reference.h"
#include "registry/client/fetch.h"
#include "registry/client/parallel.h"
#include "registry/client/session.h"
#include "sys/fd.h"
#include "sys/file_io.h"

namespace quai::registry::client {
namespace {

using image::Descriptor;
using image::Digest;
namespace mt = image::media_type;

bool is_index_type(std::string_view type) {
  return type == mt::kOciIndex || type == mt::kDockerManifestList;
}

Result<image::Platform> parse_platform(const std::string& text) {
  std::vector<std::string> parts = split(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
    return fail(Errc::InvalidArgument, "--platform {}: expected OS/ARCH[/VARIANT]", text);
  return image::Platform{parts[1], parts[0], parts.size() == 3 ? parts[2] : ""};
}

Result<Descriptor> select_platform(const image::Index& index, const image::Platform& wanted,
                                   const std::string& text) {
  std::vector<std::string> offered;
  for (const Descriptor& entry : index.manifests) {
    if (!entry.platform) continue;
    const image::Platform& p = *entry.platform;
    offered.push_back(p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant));
    if (p.os == wanted.os && p.architecture == wanted.architecture &&
        (wanted.variant.empty() || p.variant == wanted.variant))
      return entry;
  }
  return fail(Errc::NotFound, "no image for platform {} (the index has: {})", text,
              offered.empty() ? "none" : join(offered, ", "));
}

// One layer: the download writes the blob store and a pipe that the unpacker reads, so the
// layer is unpacked while it arrives; it becomes visible only once the download's digest
// and size have been verified (ImageStore::add_layer's verify step).
Status pull_layer(image::ImageStore& store, Session& session, const std::string& repo,
                  const Descriptor& blob, const Digest& diff_id, const ByteProgress& progress) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno(errno, "pipe");
  sys::UniqueFd read_end(fds[0]), write_end(fds[1]);
  image::BlobWriter writer = TRY(store.blobs().writer(static_cast<uint64_t>(blob.size)));
  Status downloaded = ok();
  std::thread download([&] {
    uint64_t received = 0;
    auto stored = fetch_blob(session, repo, blob, std::move(writer), [&](std::string_view data) {
      received += data.size();
      if (progress) progress(blob.digest.short_id(), received, static_cast<uint64_t>(blob.size));
      return sys::write_all(write_end.get(), data);
    });
    write_end.reset();  // end of stream for the unpacker
    if (!stored) downloaded = std::unexpected(stored.error());
  });
  bool joined = false;
  auto join = [&]() -> Status {
    if (!joined) download.join();
    joined = true;
    return downloaded;
  };
  auto layer = store.add_layer(read_end.get(), blob, diff_id, join, image::LayerSync::Deferred);
  read_end.reset();  // an unpacker that failed early: the download's writes fail, it stops
  Status finished = join();
  if (!finished) return finished;
  if (!layer) return std::unexpected(layer.error());
  return ok();
}

struct Plan {
  std::string repo;
  FetchedManifest top;       // what the reference names
  FetchedManifest manifest;  // the platform's image manifest
  image::Manifest parsed;
  image::ImageConfig config;
};

Result<Plan> resolve(Session& session, const image::Reference& ref, const PullOptions& options) {
  Plan plan;
  plan.repo = ref.path;
  std::string reference = ref.digest ? ref.digest->str() : ref.tag;
  plan.top = TRY(fetch_manifest(session, ref.path, reference, ref.digest));
  plan.manifest = plan.top;
  if (is_index_type(plan.top.media_type)) {
    image::Index index =
        TRY(image::parse_index(plan.top.content, "index " + plan.top.digest.str()));
    image::Platform wanted = TRY(parse_platform(options.platform));
    Descriptor chosen = TRY(select_platform(index, wanted, options.platform));
    plan.manifest = TRY(fetch_manifest(session, ref.path, chosen.digest.str(), chosen.digest));
  }
  std::string origin = "manifest " + plan.manifest.digest.str();
  plan.parsed = TRY(image::parse_manifest(plan.manifest.content, origin));
  if (plan.parsed.config.media_type != mt::kOciConfig &&
      plan.parsed.config.media_type != mt::kDockerConfig)
    return fail(Errc::Unsupported, "{}: not a container image (config type {})", origin,
                plan.parsed.config.media_type);
  return plan;
}

Status pull_config(image::ImageStore& store, Session& session, Plan& plan) {
  const Descriptor& config = plan.parsed.config;
  if (!store.blobs().has(config.digest)) {
    if (config.size < 0 || static_cast<uint64_t>(config.size) > image::kMaxDocumentSize)
      return fail(Errc::Corrupt, "config {}: size {} is out of bounds", config.digest.str(),
                  config.size);
    image::BlobWriter writer = TRY(store.blobs().writer(static_cast<uint64_t>(config.size)));
    TRY(fetch_blob(session, plan.repo, config, std::move(writer)));
  }
  std::string text = TRY(store.blobs().read(config.digest));
  plan.config = TRY(image::parse_image_config(text, "config " + config.digest.str()));
  if (plan.config.diff_ids.size() != plan.parsed.layers.size())
    return fail(Errc::Corrupt, "config {} lists {} layers, the manifest {}", config.digest.str(),
                plan.config.diff_ids.size(), plan.parsed.layers.size());
  return ok();
}

// Layers the store lacks, fetched by up to `parallel` threads, each on its own connection.
Result<bool> pull_layers(image::ImageStore& store, Session& session, const Plan& plan, int parallel,
                         const ByteProgress& progress, const Reporter& report) {
  std::vector<size_t> missing;
  for (size_t i = 0; i < plan.parsed.layers.size(); ++i) {
    const Descriptor& blob = plan.parsed.layers[i];
    if (store.has_layer(plan.config.diff_ids[i]) && store.blobs().has(blob.digest)) {
      report(blob.digest.short_id() + ": Already exists");
    } else {
      missing.push_back(i);
      report(blob.digest.short_id() + ": Pulling fs layer");
    }
  }
  TRY(for_each_in_parallel(
      session, missing.size(), parallel, [&](Session& own, size_t k) -> Status {
        const Descriptor& blob = plan.parsed.layers[missing[k]];
        TRY_CTX(pull_layer(store, own, plan.repo, blob, plan.config.diff_ids[missing[k]], progress),
                "layer {}", blob.digest.str());
        report(blob.digest.short_id() + ": Pull complete");
        return ok();
      }));
  return !missing.empty();
}

PullResult reported(PullResult result, const image::Reference& ref, const Reporter& report) {
  report("Digest: " + result.digest);
  report(fmt::format("Status: {} for {}",
                     result.downloaded ? "Downloaded newer image" : "Image is up to date",
                     ref.familiar_str()));
  return result;
}

// The registry's mirrors first, in order, then the registry itself: a mirror that cannot
// be reached or does not have the image is passed over (with a line saying so).
Result<std::pair<Session, Plan>> resolve_anywhere(const image::Reference& ref,
                                                  const PullOptions& options,
                                                  const ClientSettings& settings,
                                                  const Reporter& report) {
  for (const std::string& mirror : settings.for_host(ref.domain).mirrors) {
    auto session = Session::open(mirror, ref.path, "pull", settings);
    auto plan = session ? resolve(*session, ref, options) : Result<Plan>(fail(session.error()));
    if (plan) return std::pair{std::move(*session), std::move(*plan)};
    report(fmt::format("mirror {}: {}; trying the next", mirror, plan.error().to_string()));
  }
  Session session = TRY(Session::open(ref.domain, ref.path, "pull", settings));
  Plan plan = TRY(resolve(session, ref, options));
  return std::pair{std::move(session), std::move(plan)};
}

Result<PullResult> pull_one(image::ImageStore& store, const image::Reference& ref,
                            const PullOptions& options, const ClientSettings& settings,
                            const Reporter& report) {
  auto [session, plan] = TRY(resolve_anywhere(ref, options, settings, report));
  report(fmt::format("{}: Pulling from {}", ref.digest ? ref.digest->str() : ref.tag, ref.path));
  auto content_lock = TRY(store.lock_content());  // no GC sweeps what is half added
  // The same image (its config) under another manifest, a gzip one for a zstd one, say:
  // the store has all of it already, and keeps one manifest an image.
  bool known = store.find(ref.str()).has_value();
  if (auto same = store.find(plan.parsed.config.digest.str())) {
    TRY(store.tag(same->id.str(), ref.str()));
    return reported({TRY(store.find(ref.str())), ref.str(), plan.top.digest.str(), !known}, ref,
                    report);
  }
  TRY(pull_config(store, session, plan));
  bool downloaded = TRY(pull_layers(store, session, plan, settings.max_concurrent_downloads,
                                    options.progress, report));
  Digest manifest = TRY(store.blobs().put(plan.manifest.content));
  image::ImageRecord added = TRY(store.add(manifest, {ref.str()}));
  return reported({added, ref.str(), plan.top.digest.str(), downloaded || !known}, ref, report);
}

Result<std::vector<std::string>> list_tags(Session& session, const std::string& repo) {
  http::Request request;
  request.url = fmt::format("/v2/{}/tags/list", repo);
  http::Response response = TRY(session.send(request));
  if (response.status != 200)
    return fail(response_error(response).add_context(fmt::format("list the tags of {}", repo)));
  Json json = TRY(parse_json(response.body, "tag list"));
  std::vector<std::string> tags;
  if (json.is_object() && json.contains("tags") && json["tags"].is_array())
    for (const Json& tag : json["tags"])
      if (tag.is_string()) tags.push_back(tag.get<std::string>());
  return tags;
}

}  // namespace

Result<std::vector<PullResult>> pull(image::ImageStore& store, const std::string& text,
                                     const PullOptions& options, const ClientSettings& settings,
                                     const Reporter& report) {
  image::Reference ref = TRY(image::parse_reference(text));
  if (options.all_tags && (!ref.tag.empty() || ref.digest))
    return fail(Errc::InvalidArgument, "tag can't be used with --all-tags/-a");
  if (!options.all_tags && ref.tag.empty() && !ref.digest) {
    report("Using default tag: latest");
    ref = ref.with_default_tag();
  }
  ::signal(SIGPIPE, SIG_IGN);  // a layer pipe whose unpacker stopped early
  std::vector<image::Reference> wanted;
  if (options.all_tags) {
    Session session =
        TRY_CTX(Session::open(ref.domain, ref.path, "pull", settings), "pull {}", text);
    for (const std::string& tag : TRY_CTX(list_tags(session, ref.path), "pull {}", text)) {
      image::Reference tagged = ref;
      tagged.tag = tag;
      wanted.push_back(tagged);
    }
  } else {
    wanted.push_back(ref);
  }
  std::vector<PullResult> results;
  for (const image::Reference& one : wanted)
    results.push_back(
        TRY_CTX(pull_one(store, one, options, settings, report), "pull {}", one.familiar_str()));
  return results;
}

}  // namespace quai::registry::client
