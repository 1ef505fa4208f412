#pragma once
// Image references, `[domain/]path[:tag][@digest]`, parsed and normalised as Docker
// does: "busybox" is docker.io/library/busybox, "user/app:1" is docker.io/user/app:1.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "image/digest.h"

namespace quai::image {

inline constexpr std::string_view kDefaultDomain = "docker.io";
inline constexpr std::string_view kDefaultTag = "latest";

struct Reference {
  std::string domain;  // "docker.io", "localhost:5000"
  std::string path;    // "library/busybox"
  std::string tag;     // empty when none was given
  std::optional<Digest> digest;

  /// domain/path
  std::string name() const;
  /// The short form Docker shows: "busybox", "user/app", "localhost:5000/app".
  std::string familiar_name() const;
  /// name[:tag][@digest]
  std::string str() const;
  std::string familiar_str() const;
  /// The same reference with "latest" as its tag when it has neither tag nor digest.
  Reference with_default_tag() const;
};

/// A repository path ("library/busybox") in the distribution spec's grammar, at most 255
/// bytes: lower-case alphanumeric components joined by "/", separators ".", "_", "__" or
/// dashes inside components. Such a path never holds "..", an absolute path or a component
/// starting with "_", so a registry can map it onto directories.
bool is_valid_repository_path(std::string_view path);
/// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
bool is_valid_tag(std::string_view tag);

/// Parses and normalises; InvalidArgument says what is wrong and quotes the input.
Result<Reference> parse_reference(std::string_view text);

}  // namespace quai::image
