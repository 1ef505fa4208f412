#include "image/internal/archive_contents.h"

#include "base/log.h"
#include "base/strings.h"

namespace quai::image::internal {
namespace {

// Enough for Docker's layer.tar → ../blobs/sha256/<hex> and then some; more is a loop.
constexpr int kMaxLinkHops = 16;

// Appends the components of `path` to `parts`; ".." pops one, and climbing above the
// archive's root is refused.
Status push_components(std::string_view path, std::vector<std::string>& parts) {
  for (auto& part : split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (parts.empty()) return fail(Errc::InvalidArgument, "\"{}\" leaves the archive", path);
      parts.pop_back();
      continue;
    }
    parts.push_back(std::move(part));
  }
  return ok();
}

}  // namespace

Result<std::string> clean_member_name(std::string_view name) {
  if (name.starts_with('/'))
    return fail(Errc::InvalidArgument, "member \"{}\": absolute names are refused", name);
  std::vector<std::string> parts;
  for (const auto& part : split(name, '/')) {
    if (part == "..")
      return fail(Errc::InvalidArgument, "member \"{}\": \"..\" in a name is refused", name);
  }
  TRY(push_components(name, parts));
  return join(parts, "/");
}

Result<std::string> resolve_link_target(std::string_view link_name, std::string_view target) {
  if (target.starts_with('/')) {
    return fail(Errc::InvalidArgument, "link \"{}\" → \"{}\": absolute targets are refused",
                link_name, target);
  }
  std::vector<std::string> parts;
  size_t slash = link_name.rfind('/');
  if (slash != std::string_view::npos) TRY(push_components(link_name.substr(0, slash), parts));
  TRY_CTX(push_components(target, parts), "link \"{}\" → \"{}\"", link_name, target);
  return join(parts, "/");
}

ArchiveContents::~ArchiveContents() {
  for (const auto& hex : created_) {
    if (succeeded_ && kept_.contains(hex)) continue;
    auto removed = blobs_->remove(Digest::from_hex(hex));
    if (!removed) log::warn("archive load cleanup: {}", removed.error().to_string());
  }
}

void ArchiveContents::note(const StoredBlob& blob) {
  if (blob.created) created_.insert(blob.digest.hex());
}

Status ArchiveContents::add_blob(const std::string& name, const StoredBlob& blob) {
  note(blob);  // first, so that a refused duplicate is still cleaned up
  if (!members_.emplace(name, Member{blob, ""}).second)
    return fail(Errc::InvalidArgument, "member \"{}\" appears twice", name);
  return ok();
}

Status ArchiveContents::add_link(const std::string& name, const std::string& target) {
  if (!members_.emplace(name, Member{std::nullopt, target}).second)
    return fail(Errc::InvalidArgument, "member \"{}\" appears twice", name);
  return ok();
}

Result<Digest> ArchiveContents::put(std::string_view data) {
  BlobWriter writer = TRY(blobs_->writer());
  TRY(writer.write(data));
  StoredBlob blob = TRY(writer.commit());
  note(blob);
  return blob.digest;
}

Result<StoredBlob> ArchiveContents::resolve(const std::string& name) const {
  std::string current = name;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    auto it = members_.find(current);
    if (it == members_.end()) {
      if (current == name) return fail(Errc::Corrupt, "member \"{}\" is missing", name);
      return fail(Errc::Corrupt, "member \"{}\" links to \"{}\", which is missing", name, current);
    }
    if (it->second.blob) return *it->second.blob;
    current = it->second.link;
  }
  return fail(Errc::Corrupt, "member \"{}\": more than {} links (a loop?)", name, kMaxLinkHops);
}

Result<std::string> ArchiveContents::document(const std::string& name) const {
  StoredBlob blob = TRY(resolve(name));
  if (blob.size > kMaxDocumentSize) {
    return fail(Errc::InvalidArgument, "member \"{}\": {} bytes is larger than the {} allowed",
                name, blob.size, kMaxDocumentSize);
  }
  return TRY_CTX(blobs_->read(blob.digest), "member \"{}\"", name);
}

Result<StoredBlob> ArchiveContents::layout_blob(const Descriptor& descriptor) const {
  std::string name = "blobs/sha256/" + descriptor.digest.hex();
  if (!contains(name)) {
    return fail(Errc::Corrupt, "blob {} ({}) is not in the archive", descriptor.digest.str(), name);
  }
  StoredBlob blob = TRY(resolve(name));
  if (blob.size != static_cast<uint64_t>(descriptor.size)) {
    return fail(Errc::Corrupt, "member \"{}\": {} bytes, but the descriptor says {}", name,
                blob.size, descriptor.size);
  }
  return blob;
}

}  // namespace quai::image::internal
