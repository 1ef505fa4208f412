#pragma once
// Whiteouts: how a layer says "this lower file is gone". Tar layers use AUFS-style names
// (OCI image spec, layer.md "Whiteouts"); overlayfs uses 0/0 character devices and an
// "opaque" xattr on directories whose lower content is hidden.

#include <string_view>

namespace quai::image::internal {

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
inline constexpr const char* kOpaqueXattr = "trusted.overlay.opaque";
inline constexpr std::string_view kOverlayXattrPrefix = "trusted.overlay.";

enum class WhiteoutKind { None, File, Opaque, Meta };

/// What a tar entry's base name says about whiteouts.
inline WhiteoutKind whiteout_kind(std::string_view name) {
  if (name == kOpaqueMarker) return WhiteoutKind::Opaque;
  // Other .wh..wh. names (AUFS hard link stores) mean nothing to overlayfs.
  if (name.starts_with(kWhiteoutMetaPrefix)) return WhiteoutKind::Meta;
  if (name.starts_with(kWhiteoutPrefix)) return WhiteoutKind::File;
  return WhiteoutKind::None;
}

/// The name a `.wh.NAME` entry hides.
inline std::string_view whited_out_name(std::string_view name) {
  return name.substr(kWhiteoutPrefix.size());
}

}  // namespace quai::image::internal
