#include "registry/client/push.h"

#include <unistd.h>

#include <thread>

#include "base/json.h"
#include "image/compress.h"
#include "image/reference.h"
#include "registry/client/chunk_channel.h"
#include "registry/client/parallel.h"
#include "registry/client/session.h"
#include "sys/file_io.h"

namespace quai::registry::client {
namespace {

using image::Descriptor;
using image::Digest;
namespace mt = image::media_type;

bool is_uncompressed(std::string_view type) {
  return type == mt::kOciLayer || type == mt::kDockerLayer;
}

std::string compressed_type(image::Compression how, bool docker) {
  if (how == image::Compression::Zstd) return std::string(mt::kOciLayerZstd);
  return std::string(docker ? mt::kDockerLayerGzip : mt::kOciLayerGzip);
}

std::string with_query(const std::string& location, const std::string& query) {
  return location + (location.find('?') == std::string::npos ? "?" : "&") + query;
}

Result<std::string> location_of(const http::Response& response) {
  std::string location = response.header("location");
  if (location.empty()) return fail(Errc::Corrupt, "the registry gave no upload location");
  return location;
}

// Bytes of one blob sent so far, for a progress display; may be empty.
using SentBytes = std::function<void(uint64_t sent)>;

// Sends `length` bytes of `fd` from `offset` as one request body.
http::Request body_from(int fd, uint64_t offset, uint64_t length, const SentBytes& sent) {
  http::Request request;
  auto position = std::make_shared<uint64_t>(offset);
  uint64_t end = offset + length;
  request.body_reader = [fd, position, end, sent](char* data, size_t size) -> Result<size_t> {
    size_t want = static_cast<size_t>(std::min<uint64_t>(size, end - *position));
    if (want == 0) return 0;
    ssize_t n = ::pread(fd, data, want, static_cast<off_t>(*position));
    while (n < 0 && errno == EINTR) n = ::pread(fd, data, want, static_cast<off_t>(*position));
    if (n < 0) return fail_errno(errno, "read the blob");
    *position += static_cast<uint64_t>(n);
    if (sent) sent(*position);
    return static_cast<size_t>(n);
  };
  request.body_length = length;
  request.headers.push_back("Content-Type: application/octet-stream");
  return request;
}

Result<std::string> start_upload(Session& session, const std::string& repo) {
  http::Request start;
  start.method = "POST";
  start.url = fmt::format("/v2/{}/blobs/uploads/", repo);
  http::Response started = TRY(session.send(start));
  if (started.status != 202) return fail(response_error(started).add_context("start an upload"));
  return location_of(started);
}

// The PUT that ends an upload, naming the digest the registry must find.
Status finish_upload(Session& session, const std::string& location, const Digest& digest,
                     http::Request finish) {
  finish.method = "PUT";
  finish.url = with_query(location, "digest=" + digest.str());
  http::Response done = TRY(session.send(finish));
  if (done.status != 201 && done.status != 204)
    return fail(response_error(done).add_context("finish the upload"));
  return ok();
}

Status upload(Session& session, image::ImageStore& store, const std::string& repo,
              const Descriptor& blob, uint64_t chunk_size, const SentBytes& sent) {
  std::string location = TRY(start_upload(session, repo));
  sys::UniqueFd fd = TRY(store.blobs().open_blob(blob.digest));
  uint64_t size = static_cast<uint64_t>(blob.size), offset = 0;
  while (chunk_size > 0 && offset < size) {
    uint64_t length = std::min(chunk_size, size - offset);
    http::Request chunk = body_from(fd.get(), offset, length, sent);
    chunk.method = "PATCH";
    chunk.url = location;
    chunk.headers.push_back(fmt::format("Content-Range: {}-{}", offset, offset + length - 1));
    http::Response answer = TRY(session.send(chunk));
    if (answer.status != 202)
      return fail(response_error(answer).add_context(fmt::format("upload bytes {}-", offset)));
    location = TRY(location_of(answer));
    offset += length;
  }
  return finish_upload(session, location, blob.digest,
                       body_from(fd.get(), offset, size - offset, sent));
}

// An uncompressed layer with no compressed copy yet (a cold push): one thread makes the
// store's copy and hands each chunk to the upload, which sends them as they come in one
// chunked PATCH; the digest, known with the last chunk, ends the upload. Making the copy
// first, then sending it, took 1.5 times as long for a 512 MiB layer (bench/registry.sh).
Result<Descriptor> upload_while_compressing(Session& session, image::ImageStore& store,
                                            const std::string& repo, const Descriptor& layer,
                                            image::Compression how, bool docker,
                                            const SentBytes& sent_bytes) {
  std::string location = TRY(start_upload(session, repo));
  Descriptor sent = layer;
  sent.media_type = compressed_type(how, docker);
  ChunkChannel channel;
  image::CompressionTee tee{[&](std::string_view chunk) { return channel.put(chunk); },
                            [&](const Digest& digest, uint64_t size) {
                              sent.digest = digest;
                              sent.size = static_cast<int64_t>(size);
                              channel.close();
                            }};
  Result<image::StoredBlob> copy = fail(Errc::Internal, "the compression did not run");
  std::jthread compressor([&] {
    copy = store.make_compressed_copy(layer.digest, how, &tee);
    if (!copy) channel.close(fail(copy.error()));
  });
  // Declared after the thread, so run before its join: a failed upload stops the thread.
  struct Abandon {
    ChunkChannel& channel;
    ~Abandon() { channel.abandon(); }
  } abandon_on_exit{channel};

  http::Request patch;
  patch.method = "PATCH";
  patch.url = location;
  std::optional<Error> compression_error;
  uint64_t streamed = 0;
  patch.body_reader = [&](char* data, size_t size) -> Result<size_t> {
    auto n = channel.read(data, size);
    if (!n) compression_error = n.error();
    if (n && sent_bytes) sent_bytes(streamed += *n);
    return n;
  };
  patch.headers.push_back("Content-Type: application/octet-stream");
  auto answer = session.send(patch);
  if (!answer && compression_error) return fail(*compression_error);  // not curl's "aborted"
  http::Response patched = TRY(std::move(answer));
  if (patched.status != 202)
    return fail(response_error(patched).add_context("upload the compressed layer"));
  TRY(finish_upload(session, TRY(location_of(patched)), sent.digest, {}));
  compressor.join();
  TRY(copy);
  return sent;
}

// HEAD, then a mount from a repository the image also has a name in, then an upload.
Result<std::string> send_blob(Session& session, image::ImageStore& store, const std::string& repo,
                              const Descriptor& blob, const std::vector<std::string>& sources,
                              uint64_t chunk_size, const SentBytes& sent = {}) {
  http::Request head;
  head.method = "HEAD";
  head.url = fmt::format("/v2/{}/blobs/{}", repo, blob.digest.str());
  http::Response present = TRY(session.send(head));
  if (present.status == 200) return std::string("Layer already exists");
  for (const std::string& source : sources) {
    http::Request mount;
    mount.method = "POST";
    mount.url =
        fmt::format("/v2/{}/blobs/uploads/?mount={}&from={}", repo, blob.digest.str(), source);
    http::Response mounted = TRY(session.send(mount));
    if (mounted.status == 201) return "Mounted from " + source;
    if (mounted.status == 202) {  // not there: drop the session the registry opened instead
      http::Request cancel;
      cancel.method = "DELETE";
      cancel.url = mounted.header("location");
      if (!cancel.url.empty()) (void)session.send(cancel);
    }
  }
  TRY(upload(session, store, repo, blob, chunk_size, sent));
  return std::string("Pushed");
}

struct SentLayer {
  Descriptor blob;   // what the manifest names: the compressed copy of an uncompressed layer
  std::string what;  // "Pushed", "Layer already exists", "Mounted from …"
};

// A layer as the push sends it: compressed ones as they are; an uncompressed one as the
// store's compressed copy, made now while it is uploaded when there is none yet (the
// registry cannot have what is not made yet, so there is nothing to HEAD or mount).
// Chunked uploads cut their ranges from a file, so they make the copy first.
Result<SentLayer> send_layer(Session& session, image::ImageStore& store, const std::string& repo,
                             const Descriptor& layer, const std::vector<std::string>& sources,
                             const PushOptions& options, bool docker,
                             const std::function<SentBytes(uint64_t total)>& progress) {
  if (!is_uncompressed(layer.media_type) || options.compression == image::Compression::None) {
    std::string what = TRY(send_blob(session, store, repo, layer, sources, options.chunk_size,
                                     progress(static_cast<uint64_t>(layer.size))));
    return SentLayer{layer, what};
  }
  auto copy = store.existing_compressed_copy(layer.digest, options.compression);
  if (!copy && options.chunk_size == 0) {
    Descriptor sent = TRY(upload_while_compressing(session, store, repo, layer, options.compression,
                                                   docker, progress(0)));
    return SentLayer{sent, "Pushed"};
  }
  if (!copy) copy = TRY(store.make_compressed_copy(layer.digest, options.compression));
  Descriptor sent = layer;
  sent.media_type = compressed_type(options.compression, docker);
  sent.digest = copy->digest;
  sent.size = static_cast<int64_t>(copy->size);
  std::string what =
      TRY(send_blob(session, store, repo, sent, sources, options.chunk_size, progress(copy->size)));
  return SentLayer{sent, what};
}

Json descriptor_json(const Descriptor& d) {
  Json json = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) json["annotations"] = d.annotations;
  return json;
}

}  // namespace

Result<PushResult> push(image::ImageStore& store, const std::string& text,
                        const PushOptions& options, const ClientSettings& settings,
                        const Reporter& report) {
  image::Reference ref = TRY(image::parse_reference(text)).with_default_tag();
  auto found = store.find(ref.str());
  if (!found && found.error().code() == Errc::NotFound)
    return fail(Errc::NotFound, "An image does not exist locally with the tag: {}",
                ref.familiar_str());
  if (!found) return fail(found.error().add_context(fmt::format("push {}", text)));
  image::ImageRecord record = *found;
  auto content_lock = TRY(store.lock_content());
  image::Manifest manifest = TRY(store.manifest(record));
  bool docker =
      manifest.media_type == mt::kDockerManifest && options.compression != image::Compression::Zstd;
  report(fmt::format("The push refers to repository [{}]", ref.name()));
  Session session =
      TRY_CTX(Session::open(ref.domain, ref.path, "pull,push", settings), "push {}", text);
  std::vector<std::string> sources;
  for (const std::string& name : record.names) {
    auto other = image::parse_reference(name);
    if (other && other->domain == ref.domain && other->path != ref.path &&
        session.add_scope(fmt::format("repository:{}:pull", other->path)))
      sources.push_back(other->path);
  }
  std::vector<Descriptor> layers(manifest.layers.size());
  // Rows are named by the stored layer, as Docker names them by the layer's diff id: a
  // layer compressed on the way has no other name until it is sent.
  auto push_layer = [&](Session& own, size_t i) -> Status {
    const Descriptor& layer = manifest.layers[i];
    std::string row = layer.digest.short_id();
    auto progress = [&](uint64_t total) -> SentBytes {
      if (!options.progress) return {};
      return [&, total](uint64_t bytes) { options.progress(row, bytes, total); };
    };
    SentLayer sent =
        TRY_CTX(send_layer(own, store, ref.path, layer, sources, options, docker, progress),
                "layer {}", layer.digest.str());
    layers[i] = sent.blob;
    report(fmt::format("{}: {}", row, sent.what));
    return ok();
  };
  TRY_CTX(for_each_in_parallel(session, layers.size(), settings.max_concurrent_uploads, push_layer),
          "push {}", text);
  TRY_CTX(send_blob(session, store, ref.path, manifest.config, sources, options.chunk_size),
          "push {}: config", text);

  Json document = {{"schemaVersion", 2},
                   {"mediaType", docker ? mt::kDockerManifest : mt::kOciManifest},
                   {"config", descriptor_json(manifest.config)},
                   {"layers", Json::array()}};
  if (!docker) document["config"]["mediaType"] = mt::kOciConfig;
  for (const Descriptor& layer : layers) document["layers"].push_back(descriptor_json(layer));
  if (!manifest.annotations.empty()) document["annotations"] = manifest.annotations;
  http::Request put;
  put.method = "PUT";
  put.url = fmt::format("/v2/{}/manifests/{}", ref.path, ref.tag);
  put.body = document.dump();
  put.headers.push_back(
      fmt::format("Content-Type: {}", docker ? mt::kDockerManifest : mt::kOciManifest));
  http::Response answer = TRY_CTX(session.send(put), "push {}: manifest", text);
  if (answer.status != 201)
    return fail(response_error(answer).add_context(fmt::format("push {}: manifest", text)));
  PushResult result{ref.str(), Digest::of(put.body), put.body.size()};
  report(fmt::format("{}: digest: {} size: {}", ref.tag, result.digest.str(), result.size));
  return result;
}

}  // namespace quai::registry::client
