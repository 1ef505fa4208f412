// The storage seen whole: the repository list, and garbage collection.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "registry/manifest_refs.h"
#include "registry/storage.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::registry {
namespace {

using image::Digest;

// Repositories are the directories below repositories/ that hold records ("_tags", …);
// names nest ("team/app" is team/app/), and a name can be both a repository and a prefix.
void collect_repositories(const std::string& base, const std::string& prefix,
                          std::vector<std::string>& out) {
  auto names = sys::list_directory(prefix.empty() ? base : base + "/" + prefix);
  if (!names) return;
  bool is_repository = false;
  for (const std::string& name : *names) {
    if (name.starts_with("_")) {
      is_repository = true;
      continue;
    }
    collect_repositories(base, prefix.empty() ? name : prefix + "/" + name, out);
  }
  if (is_repository && !prefix.empty()) out.push_back(prefix);
}

std::vector<Digest> digests_in(const std::string& dir) {
  std::vector<Digest> digests;
  auto names = sys::list_directory(dir);
  if (!names) return digests;
  for (const std::string& hex : *names)
    if (auto digest = Digest::parse("sha256:" + hex)) digests.push_back(*digest);
  return digests;
}

}  // namespace

Result<std::vector<std::string>> Storage::repositories() const {
  std::vector<std::string> names;
  collect_repositories(dir_ + "/repositories", "", names);
  std::sort(names.begin(), names.end());
  return names;
}

// Mark: every manifest of every repository, and what it refers to. Sweep: every other blob,
// and the repository links that pointed at it. Blobs uploaded for a manifest not yet pushed
// are swept too, as Distribution's collector does: run it while no push is under way.
Result<GcReport> Storage::collect_garbage(bool dry_run) {
  std::set<Digest> marked;
  std::vector<std::string> repos = TRY(repositories());
  for (const std::string& repo : repos) {
    for (const Digest& digest : digests_in(repo_dir(repo) + "/_manifests")) {
      marked.insert(digest);
      auto content = blobs_.read(digest);
      if (!content) continue;
      auto refs = read_manifest_refs(*content);
      if (!refs) continue;
      marked.insert(refs->blobs.begin(), refs->blobs.end());
      marked.insert(refs->manifests.begin(), refs->manifests.end());
    }
  }
  GcReport report;
  for (const Digest& digest : digests_in(dir_ + "/blobs/sha256")) {
    if (marked.contains(digest)) continue;
    ++report.blobs_removed;
    report.bytes_freed += blobs_.size(digest).value_or(0);
    if (!dry_run) TRY(blobs_.remove(digest));
  }
  if (dry_run) return report;
  for (const std::string& repo : repos)
    for (const Digest& digest : digests_in(repo_dir(repo) + "/_layers"))
      if (!blobs_.has(digest)) (void)unlink_blob(repo, digest);
  return report;
}

}  // namespace quai::registry
