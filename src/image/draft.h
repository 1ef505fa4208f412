#pragma once
// An image being made by `quai build`: a parent image's config and layers, to which layers
// and history entries are added; written as config and manifest blobs and entered in the
// name index only at commit. Fields of the parent's config that quai does not know (as
// Healthcheck or OnBuild from another builder) are kept as they are.

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "image/image_store.h"

namespace quai::image {

class ImageDraft {
 public:
  /// `FROM scratch`: no layers, an empty config for linux/amd64.
  static ImageDraft scratch();
  /// Starts from `image` as stored. Corrupt when its config is not a JSON object.
  static Result<ImageDraft> from_image(const ImageStore& store, const ImageRecord& image);

  /// The "config" object (Env, Cmd, WorkingDir, Healthcheck, OnBuild, …), edited in place.
  Json& container_config() { return document_["config"]; }
  const Json& container_config() const { return document_.at("config"); }
  /// The layers, lowest first, as the manifest will list them.
  const std::vector<Descriptor>& layers() const { return layers_; }
  std::vector<Digest> diff_ids() const;
  /// The history entries, oldest first (as the config will hold them).
  const Json& history() const { return document_.at("history"); }

  /// MAINTAINER: the config's "author".
  void set_author(std::string_view author) { document_["author"] = author; }
  /// A history entry for an instruction that adds no layer (ENV, CMD, …).
  void add_empty_layer_history(std::string_view created_by);
  /// Packs the directory `dir_fd`, in overlayfs form (an overlay's upper dir: whiteouts as
  /// 0/0 character devices, opaque directories by xattr), into a new top layer: stored as an
  /// uncompressed tar blob (compression is for pushes), unpacked under layers/, and added
  /// with its history entry. The caller holds the store's content lock and a work dir in
  /// tmp/ that marks the build as in flight, as import does.
  Result<LayerInfo> add_layer(ImageStore& store, int dir_fd, std::string_view created_by);
  /// Writes the config and manifest blobs, without entering the image in the name index
  /// (a build step's image, kept by the build cache). Its `names` are empty.
  Result<ImageRecord> write(ImageStore& store);
  /// write(), then registers the image under `names` (which move here from any image that
  /// had them).
  Result<ImageRecord> commit(ImageStore& store, const std::vector<std::string>& names);

 private:
  explicit ImageDraft(Json document) : document_(std::move(document)) {}
  void add_history(std::string_view created_by, bool empty_layer);

  Json document_;  // the whole image config: architecture, os, config, rootfs, history
  std::vector<Descriptor> layers_;
};

}  // namespace quai::image
