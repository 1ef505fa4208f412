#include "registry/storage.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "image/reference.h"
#include "registry/manifest_refs.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::registry {
namespace {

using image::Digest;

constexpr std::string_view kLayers = "/_layers/";
constexpr std::string_view kManifests = "/_manifests/";
constexpr std::string_view kTags = "/_tags/";
constexpr std::string_view kReferrers = "/_referrers/";

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return ok();
  if (errno == ENOENT) return fail(Errc::NotFound, "{} does not exist", path);
  return fail_errno(errno, "remove \"{}\"", path);
}

// A link file: made whole in one rename, so that a crash leaves the old record or the new.
Status write_record(const std::string& path, std::string_view content) {
  TRY(sys::mkdir_p(path.substr(0, path.rfind('/'))));
  return sys::write_file_atomic(path, content);
}

std::vector<std::string> entries(const std::string& dir) {
  auto names = sys::list_directory(dir);
  if (!names) return {};
  std::sort(names->begin(), names->end());
  return *names;
}

}  // namespace

Result<Storage> Storage::open(const std::string& dir) {
  TRY(sys::mkdir_p(dir + "/repositories"));
  image::BlobStore blobs = TRY(image::BlobStore::open(dir));
  return Storage(dir, std::move(blobs));
}

bool Storage::has_blob(const std::string& repo, const Digest& digest) const {
  return sys::path_exists(repo_dir(repo) + std::string(kLayers) + digest.hex()) &&
         blobs_.has(digest);
}

Status Storage::link_blob(const std::string& repo, const Digest& digest) {
  return write_record(repo_dir(repo) + std::string(kLayers) + digest.hex(), "");
}

Status Storage::unlink_blob(const std::string& repo, const Digest& digest) {
  return remove_file(repo_dir(repo) + std::string(kLayers) + digest.hex());
}

Result<Digest> Storage::put_manifest(const std::string& repo, std::string_view content,
                                     const std::string& media_type,
                                     const std::optional<std::string>& tag,
                                     const std::optional<Digest>& subject) {
  Digest digest = TRY(blobs_.put(content));
  std::string dir = repo_dir(repo);
  TRY(write_record(dir + std::string(kManifests) + digest.hex(), media_type));
  if (subject)
    TRY(write_record(dir + std::string(kReferrers) + subject->hex() + "/" + digest.hex(), ""));
  if (tag) TRY(write_record(dir + std::string(kTags) + *tag, digest.str()));
  return digest;
}

Result<Digest> Storage::resolve(const std::string& repo, const std::string& reference) const {
  if (reference.find(':') != std::string::npos) return Digest::parse(reference);  // tags have none
  auto target = sys::read_file(repo_dir(repo) + std::string(kTags) + reference);
  if (!target) return fail(Errc::NotFound, "manifest unknown: {}:{}", repo, reference);
  return Digest::parse(*target);
}

bool Storage::has_manifest(const std::string& repo, const Digest& digest) const {
  return sys::path_exists(repo_dir(repo) + std::string(kManifests) + digest.hex());
}

Result<StoredManifest> Storage::manifest(const std::string& repo,
                                         const std::string& reference) const {
  StoredManifest stored;
  stored.digest = TRY(resolve(repo, reference));
  auto media_type = sys::read_file(repo_dir(repo) + std::string(kManifests) + stored.digest.hex());
  if (!media_type) return fail(Errc::NotFound, "manifest unknown: {}@{}", repo, reference);
  stored.media_type = std::move(*media_type);
  stored.content = TRY(blobs_.read(stored.digest));
  return stored;
}

Status Storage::delete_manifest(const std::string& repo, const std::string& reference) {
  std::string dir = repo_dir(repo);
  if (image::is_valid_tag(reference)) return remove_file(dir + std::string(kTags) + reference);
  Digest digest = TRY(Digest::parse(reference));
  auto stored = manifest(repo, reference);
  if (!stored) return fail(stored.error());
  for (const std::string& tag : entries(dir + std::string(kTags))) {
    auto target = sys::read_file(dir + std::string(kTags) + tag);
    if (target && *target == digest.str()) TRY(remove_file(dir + std::string(kTags) + tag));
  }
  auto refs = read_manifest_refs(stored->content);
  if (refs && refs->subject)
    (void)remove_file(dir + std::string(kReferrers) + refs->subject->hex() + "/" + digest.hex());
  return remove_file(dir + std::string(kManifests) + digest.hex());
}

Result<std::vector<std::string>> Storage::tags(const std::string& repo) const {
  if (!sys::is_directory(repo_dir(repo)))
    return fail(Errc::NotFound, "repository name not known to registry: {}", repo);
  return entries(repo_dir(repo) + std::string(kTags));
}

Result<std::vector<StoredManifest>> Storage::referrers(const std::string& repo,
                                                       const Digest& subject) const {
  std::vector<StoredManifest> found;
  for (const std::string& hex : entries(repo_dir(repo) + std::string(kReferrers) + subject.hex())) {
    auto stored = manifest(repo, "sha256:" + hex);
    if (stored) found.push_back(std::move(*stored));
  }
  return found;
}

}  // namespace quai::registry
