#pragma once
// What a stored manifest refers to, read from its JSON: the blobs of an image manifest, the
// manifests of an index, its subject and artifact type. Manifests are untrusted input; the
// reader checks only what the registry relies on (digests, shapes), not whole documents.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "image/digest.h"

namespace quai::registry {

struct ManifestRefs {
  bool is_index = false;
  std::string media_type;                // the document's own "mediaType", often empty
  std::string artifact_type;             // "artifactType", else the config's media type
  std::vector<image::Digest> blobs;      // config and layers (not those fetched from "urls")
  std::vector<image::Digest> manifests;  // an index's entries
  std::optional<image::Digest> subject;
  std::map<std::string, std::string> annotations;
};

/// InvalidArgument (naming the field) for anything that is not a schema 2 manifest or index;
/// Unsupported for a digest algorithm other than sha256.
Result<ManifestRefs> read_manifest_refs(std::string_view content);

}  // namespace quai::registry
