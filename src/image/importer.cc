#include "image/importer.h"

#include <fcntl.h>
#include <unistd.h>

#include "base/json.h"
#include "base/strings.h"
#include "image/layer.h"
#include "sys/file_io.h"

namespace quai::image {
namespace {

// CMD/ENTRYPOINT in exec form (JSON) or shell form (run by /bin/sh -c).
Result<std::vector<std::string>> command_form(std::string_view text) {
  if (text.starts_with('[')) {
    auto json = Json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_array())
      return fail(Errc::InvalidArgument, "invalid JSON array: {}", text);
    std::vector<std::string> args;
    for (const auto& item : json) {
      if (!item.is_string()) return fail(Errc::InvalidArgument, "invalid JSON array: {}", text);
      args.push_back(item.get<std::string>());
    }
    return args;
  }
  return std::vector<std::string>{"/bin/sh", "-c", std::string(text)};
}

Json config_document(const ContainerConfig& c) {
  Json exposed = Json::object(), volumes = Json::object();
  for (const auto& port : c.exposed_ports) exposed[port] = Json::object();
  for (const auto& volume : c.volumes) volumes[volume] = Json::object();
  Json j{{"Env", c.env},
         {"Cmd", c.cmd},
         {"WorkingDir", c.working_dir},
         {"User", c.user},
         {"Labels", c.labels}};
  if (!c.entrypoint.empty()) j["Entrypoint"] = c.entrypoint;
  if (!exposed.empty()) j["ExposedPorts"] = exposed;
  if (!volumes.empty()) j["Volumes"] = volumes;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  return j;
}

std::string layer_media_type(Compression compression) {
  switch (compression) {
    case Compression::Gzip:
      return std::string(media_type::kOciLayerGzip);
    case Compression::Zstd:
      return std::string(media_type::kOciLayerZstd);
    case Compression::None:
      break;
  }
  return std::string(media_type::kOciLayer);
}

Result<Compression> blob_compression(const BlobStore& blobs, const Digest& digest) {
  auto fd = TRY(blobs.open_blob(digest));
  char head[8] = {};
  ssize_t n = ::read(fd.get(), head, sizeof head);
  return detect_compression(std::string_view(head, n > 0 ? static_cast<size_t>(n) : 0));
}

}  // namespace

Result<ContainerConfig> apply_changes(ContainerConfig c, const std::vector<std::string>& changes) {
  for (const auto& change : changes) {
    std::string_view text = trim(change);
    auto space = text.find_first_of(" \t");
    std::string instruction = to_upper(text.substr(0, space));
    std::string_view rest = space == std::string_view::npos ? "" : trim(text.substr(space));
    if (instruction == "CMD") {
      c.cmd = TRY_CTX(command_form(rest), "change \"{}\"", change);
    } else if (instruction == "ENTRYPOINT") {
      c.entrypoint = TRY_CTX(command_form(rest), "change \"{}\"", change);
    } else if (instruction == "ENV") {
      auto eq = rest.find_first_of("= ");
      if (eq == std::string_view::npos)
        return fail(Errc::InvalidArgument, "change \"{}\": ENV needs a value", change);
      c.env.push_back(std::string(rest.substr(0, eq)) + "=" +
                      std::string(trim(rest.substr(eq + 1))));
    } else if (instruction == "WORKDIR") {
      c.working_dir = rest;
    } else if (instruction == "USER") {
      c.user = rest;
    } else if (instruction == "EXPOSE") {
      std::string port(rest);
      c.exposed_ports.push_back(port.find('/') == std::string::npos ? port + "/tcp" : port);
    } else if (instruction == "VOLUME") {
      c.volumes.emplace_back(rest);
    } else if (instruction == "LABEL") {
      auto eq = rest.find('=');
      c.labels[std::string(rest.substr(0, eq))] =
          eq == std::string_view::npos ? "" : std::string(rest.substr(eq + 1));
    } else if (instruction == "STOPSIGNAL") {
      c.stop_signal = rest;
    } else {
      return fail(Errc::InvalidArgument, "change \"{}\": {} is not a supported instruction", change,
                  instruction);
    }
  }
  return c;
}

Result<ImageRecord> import_tarball(ImageStore& store, int fd, const ImportOptions& options) {
  auto config = TRY(apply_changes({}, options.changes));
  auto content_lock = TRY(store.lock_content());
  // Marks the import as in flight: a crash leaves it unlocked, and the next command's
  // recovery collects the blobs it had stored.
  auto marker = TRY(store.temp().make("import"));
  Digest blob = TRY_CTX(store.blobs().ingest(fd), "import: store the layer");
  Descriptor layer{layer_media_type(TRY(blob_compression(store.blobs(), blob))), blob, 0, {}, {}};
  layer.size = static_cast<int64_t>(TRY(store.blobs().size(blob)));
  auto info = TRY(store.ensure_layer(layer, std::nullopt));
  std::string now = rfc3339_now();
  Json history{{"created", now},
               {"created_by", options.created_by.empty() ? "quai import" : options.created_by}};
  if (!options.message.empty()) history["comment"] = options.message;
  Json config_json{{"architecture", "amd64"},
                   {"os", "linux"},
                   {"created", now},
                   {"config", config_document(config)},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {info.diff_id.str()}}}},
                   {"history", {history}}};
  std::string config_text = config_json.dump();
  Digest config_digest = TRY(store.blobs().put(config_text));
  Json manifest{
      {"schemaVersion", 2},
      {"mediaType", media_type::kOciManifest},
      {"config",
       {{"mediaType", media_type::kOciConfig},
        {"digest", config_digest.str()},
        {"size", config_text.size()}}},
      {"layers",
       {{{"mediaType", layer.media_type}, {"digest", blob.str()}, {"size", layer.size}}}}};
  Digest manifest_digest = TRY(store.blobs().put(manifest.dump()));
  return store.add(manifest_digest, options.names);
}

Result<ImageRecord> import_directory(ImageStore& store, const std::string& dir,
                                     const ImportOptions& options) {
  sys::UniqueFd dir_fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno(errno, "import: open \"{}\"", dir);
  auto work = TRY(store.temp().make("pack"));
  std::string tar_path = work.path() + "/layer.tar";
  sys::UniqueFd tar(::open(tar_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!tar) return fail_errno(errno, "create \"{}\"", tar_path);
  TRY(pack_layer(dir_fd.get(), tar.get(), dir));
  if (::lseek(tar.get(), 0, SEEK_SET) != 0) return fail_errno(errno, "seek \"{}\"", tar_path);
  return import_tarball(store, tar.get(), options);
}

}  // namespace quai::image
