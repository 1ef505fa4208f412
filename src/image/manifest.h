#pragma once
// OCI and Docker v2 schema 2 manifests, indexes (manifest lists) and image configs, read
// from untrusted JSON with every error naming the document and the field.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "image/digest.h"

namespace quai::image {

namespace media_type {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
/// An uncompressed Docker layer: what a docker-archive holds (layer.tar).
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media_type

/// Documents larger than this are refused before parsing (a manifest or config is small).
inline constexpr size_t kMaxDocumentSize = 4 << 20;

struct Platform {
  std::string architecture;
  std::string os;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  Digest digest = Digest::of_nothing();
  int64_t size = 0;
  std::optional<Platform> platform;
  std::map<std::string, std::string> annotations;
};

struct Manifest {
  std::string media_type;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
};

struct Index {
  std::string media_type;
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;
};

struct HistoryEntry {
  std::string created;
  std::string created_by;
  std::string comment;
  bool empty_layer = false;
};

/// The parts of an image config that runs and builds use ("config" in the JSON).
struct ContainerConfig {
  std::string user;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::vector<std::string> exposed_ports;
  std::vector<std::string> volumes;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
};

struct ImageConfig {
  std::string architecture;
  std::string os;
  std::string created;
  std::string author;
  ContainerConfig config;
  std::vector<Digest> diff_ids;
  std::vector<HistoryEntry> history;
};

/// `origin` names the document in errors ("manifest sha256:…", a file name).
Result<Manifest> parse_manifest(std::string_view text, std::string_view origin);
Result<Index> parse_index(std::string_view text, std::string_view origin);
Result<ImageConfig> parse_image_config(std::string_view text, std::string_view origin);

/// True for the layer media types quai can unpack (tar, gzip, zstd; OCI and Docker).
bool is_layer_media_type(std::string_view media_type);
/// The OCI media type for the same layer bytes (Docker's tar and tar+gzip map to OCI's);
/// Unsupported for what is not a layer.
Result<std::string_view> oci_layer_media_type(std::string_view media_type);

}  // namespace quai::image
