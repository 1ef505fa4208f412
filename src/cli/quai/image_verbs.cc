// images, rmi, tag, history, image inspect, import, load, save, image prune, bootstrap.

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include "cli/quai/format.h"
#include "cli/quai/verbs.h"
#include "image/archive.h"
#include "image/importer.h"
#include "image/reference.h"
#include "store/ids.h"
#include "sys/file_io.h"
#include "sys/fs.h"

namespace quai::cli {
namespace {

struct Row {
  std::string repository, tag, id, created, size;
};

std::vector<Row> image_rows(engine::Engine& engine, const image::ImageRecord& image) {
  auto config = engine.images().config(image);
  uint64_t size = 0;
  if (auto layers = engine.images().layers(image)) {
    for (const auto& layer : *layers) size += layer.size;
  }
  std::string created = config ? human_duration_since(config->created) + " ago" : "";
  std::vector<Row> rows;
  for (const auto& name : image.names) {
    auto reference = image::parse_reference(name);
    if (!reference) continue;
    rows.push_back({reference->familiar_name(), reference->tag, image.id.short_id(), created,
                    human_size(size)});
  }
  if (rows.empty())
    rows.push_back({"<none>", "<none>", image.id.short_id(), created, human_size(size)});
  return rows;
}

// `images REPOSITORY[:TAG]`: the row's repository, and its tag when one is given.
bool matches_reference(const Row& row, const std::string& reference) {
  if (reference.empty()) return true;
  std::string repository = reference, tag;
  size_t colon = reference.rfind(':');
  if (colon != std::string::npos && reference.find('/', colon) == std::string::npos) {
    repository = reference.substr(0, colon);
    tag = reference.substr(colon + 1);
  }
  // `docker.io/library/x` and `x` name the same repository.
  if (auto parsed = image::parse_reference(repository)) repository = parsed->familiar_name();
  return row.repository == repository && (tag.empty() || row.tag == tag);
}

struct ImagesFlags {
  bool all = false, quiet = false, digests = false;
  std::vector<std::string> filters;
  std::string format, repository;
};

Result<int> list_images(Globals& globals, const ImagesFlags& f) {
  auto engine = TRY(open_engine(globals));
  std::vector<std::vector<std::string>> table;
  std::optional<Template> tmpl;
  if (!f.format.empty()) tmpl.emplace(f.format);
  std::string out;
  for (const auto& image : TRY(engine.images().list())) {
    bool dangling = image.names.empty();
    bool skip = false;
    for (const auto& filter : f.filters) {
      if (filter == "dangling=true" && !dangling) skip = true;
      if (filter == "dangling=false" && dangling) skip = true;
    }
    if (skip) continue;
    auto rows = image_rows(engine, image);
    std::erase_if(rows, [&](const Row& row) { return !matches_reference(row, f.repository); });
    if (rows.empty()) continue;
    if (f.quiet) {
      out += image.id.short_id() + "\n";
      continue;
    }
    for (const auto& row : rows) {
      std::map<std::string, std::string> fields = {
          {"Repository", row.repository}, {"Tag", row.tag},   {"ID", row.id},
          {"CreatedSince", row.created},  {"Size", row.size}, {"Digest", image.manifest.str()}};
      if (tmpl) {
        out += tmpl->render(fields, Json::object()) + "\n";
        continue;
      }
      std::vector<std::string> cells = {row.repository, row.tag};
      if (f.digests) cells.push_back(image.manifest.str());
      cells.insert(cells.end(), {row.id, row.created, row.size});
      table.push_back(cells);
    }
  }
  if (f.quiet || tmpl) {
    std::fputs(out.c_str(), stdout);
    return 0;
  }
  std::vector<std::string> header = {"REPOSITORY", "TAG"};
  if (f.digests) header.push_back("DIGEST");
  header.insert(header.end(), {"IMAGE ID", "CREATED", "SIZE"});
  std::fputs(render_table(header, table).c_str(), stdout);
  return 0;
}

Result<int> history(Globals& globals, const std::string& name, bool quiet, bool no_trunc) {
  auto engine = TRY(open_engine(globals));
  auto image = TRY(engine.images().find(name));
  auto config = TRY(engine.images().config(image));
  std::vector<std::vector<std::string>> rows;
  for (auto it = config.history.rbegin(); it != config.history.rend(); ++it) {
    bool newest = it == config.history.rbegin();
    if (quiet) {
      std::printf("%s\n", newest ? image.id.short_id().c_str() : "<missing>");
      continue;
    }
    std::string created_by = !no_trunc && it->created_by.size() > 45
                                 ? it->created_by.substr(0, 44) + "…"
                                 : it->created_by;
    rows.push_back({newest ? image.id.short_id() : "<missing>",
                    human_duration_since(it->created) + " ago", created_by,
                    it->empty_layer ? "0B" : "", it->comment});
  }
  if (!quiet)
    std::fputs(render_table({"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"}, rows).c_str(),
               stdout);
  return 0;
}

Result<int> save(Globals& globals, const std::vector<std::string>& names, const std::string& output,
                 const std::string& format) {
  auto engine = TRY(open_engine(globals));
  std::vector<image::ArchiveImage> images;
  for (const auto& name : names) {
    auto image = TRY(engine.images().find(name));
    auto reference = image::parse_reference(name);
    std::vector<std::string> wanted;
    if (reference && !store::is_id_prefix(name))
      wanted.push_back(reference->with_default_tag().str());
    images.push_back({image.manifest, wanted.empty() ? image.names : wanted});
  }
  auto archive_format = format == "oci-archive" ? image::ArchiveFormat::OciArchive
                                                : image::ArchiveFormat::DockerArchive;
  if (output.empty() || output == "-") {
    if (::isatty(STDOUT_FILENO))
      return fail(Errc::InvalidArgument,
                  "cowardly refusing to save to a terminal. Use the -o flag or redirect");
    TRY(image::save_archive(archive_format, images, engine.images().blobs(), STDOUT_FILENO));
    return 0;
  }
  // Written beside the target and renamed: a crash never leaves half an archive.
  std::string tmp = output + ".quai-tmp";
  sys::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return fail_errno(errno, "create \"{}\"", tmp);
  auto saved = image::save_archive(archive_format, images, engine.images().blobs(), fd.get());
  if (saved && ::fsync(fd.get()) != 0) saved = fail_errno(errno, "fsync \"{}\"", tmp);
  if (!saved || ::rename(tmp.c_str(), output.c_str()) != 0) {
    ::unlink(tmp.c_str());
    if (!saved) return std::unexpected(saved.error());
    return fail_errno(errno, "rename to \"{}\"", output);
  }
  return 0;
}

Result<int> load(Globals& globals, const std::string& input, bool quiet) {
  auto engine = TRY(open_engine(globals));
  sys::UniqueFd owned;
  int fd = STDIN_FILENO;
  if (!input.empty() && input != "-") {
    owned = sys::UniqueFd(::open(input.c_str(), O_RDONLY | O_CLOEXEC));
    if (!owned) return fail_errno(errno, "open \"{}\"", input);
    fd = owned.get();
  }
  {
    auto lock = TRY(engine.images().lock_content());
    auto marker = TRY(engine.images().temp().make("load"));
    auto loaded =
        TRY(image::load_archive(fd, engine.images().blobs(), input.empty() ? "stdin" : input));
    for (const auto& archived : loaded.images) {
      auto image = TRY(engine.images().add(archived.manifest, archived.names));
      if (quiet) continue;
      if (archived.names.empty()) std::printf("Loaded image ID: %s\n", image.id.str().c_str());
      for (const auto& name : archived.names) {
        auto reference = image::parse_reference(name);
        std::printf("Loaded image: %s\n",
                    reference ? reference->familiar_str().c_str() : name.c_str());
      }
    }
  }
  // An image loaded again from another kind of archive gets that archive's manifest: the
  // one it had before, and layer blobs only that one named, are garbage now.
  TRY(engine.images().collect_garbage(engine.pinned_layers()));
  return 0;
}

}  // namespace

void print_remove_report(const image::RemoveReport& report, bool lower_case) {
  const char* untagged = lower_case ? "untagged" : "Untagged";
  const char* deleted = lower_case ? "deleted" : "Deleted";
  for (const auto& name : report.untagged) {
    auto reference = image::parse_reference(name);
    std::printf("%s: %s\n", untagged, reference ? reference->familiar_str().c_str() : name.c_str());
  }
  for (const auto& id : report.deleted) std::printf("%s: %s\n", deleted, id.str().c_str());
}

Result<Json> inspect_image_json(engine::Engine& engine, const image::ImageRecord& image) {
  Json config =
      TRY(parse_json(TRY(engine.images().config_json(image)), "config " + image.id.str()));
  Json tags = Json::array();
  for (const auto& n : image.names) {
    auto reference = image::parse_reference(n);
    tags.push_back(reference ? reference->familiar_str() : n);
  }
  return Json{{"Id", image.id.str()},
              {"RepoTags", tags},
              {"Created", config.value("created", "")},
              {"Author", config.value("author", "")},
              {"Config", config.value("config", Json::object())},
              {"Architecture", config.value("architecture", "")},
              {"Os", config.value("os", "")},
              {"RootFS", config.value("rootfs", Json::object())}};
}

void print_inspected(const Json& objects, const std::string& format) {
  if (format.empty()) {
    std::printf("%s\n", objects.dump(4).c_str());
    return;
  }
  Template tmpl(format);
  for (const auto& object : objects) std::printf("%s\n", tmpl.render({}, object).c_str());
}

void add_image_verbs(CLI::App& app, Globals& globals, Action& action) {
  static ImagesFlags images_flags;
  auto* images = app.add_subcommand("images", "List images");
  images->add_flag("-a,--all", images_flags.all, "Show all images");
  images->add_flag("-q,--quiet", images_flags.quiet, "Only show image IDs");
  images->add_flag("--digests", images_flags.digests, "Show digests");
  images->add_option("-f,--filter", images_flags.filters,
                     "Filter output based on conditions provided");
  images->add_option("--format", images_flags.format, "Format output using a template");
  images->add_option("REPOSITORY", images_flags.repository);
  images->callback([&] { action = [&] { return list_images(globals, images_flags); }; });

  static std::vector<std::string> names;
  static bool force = false;
  auto* rmi = app.add_subcommand("rmi", "Remove one or more images");
  rmi->add_flag("-f,--force", force, "Force removal of the image");
  rmi->add_option("IMAGE", names)->required();
  rmi->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      auto in_use = engine.images_in_use();
      for (const auto& name : names)
        print_remove_report(TRY(engine.images().remove(name, force, in_use)), false);
      TRY(engine.images().collect_garbage(engine.pinned_layers()));
      return 0;
    };
  });

  static std::string source, target;
  auto* tag = app.add_subcommand("tag", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE");
  tag->add_option("SOURCE_IMAGE", source)->required();
  tag->add_option("TARGET_IMAGE", target)->required();
  tag->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      TRY(engine.images().tag(source, target));
      return 0;
    };
  });

  static std::string image_name;
  static bool quiet = false;
  auto* hist = app.add_subcommand("history", "Show the history of an image");
  static bool no_trunc = false;
  hist->add_flag("-q,--quiet", quiet, "Only show image IDs");
  hist->add_flag("--no-trunc", no_trunc, "Don't truncate output");
  hist->add_option("IMAGE", image_name)->required();
  hist->callback([&] { action = [&] { return history(globals, image_name, quiet, no_trunc); }; });

  static std::string inspect_format;
  auto* inspect =
      app.add_subcommand("image-inspect", "Display detailed information on one or more images");
  inspect->group("");
  inspect->add_option("-f,--format", inspect_format, "Format output using a template");
  inspect->add_option("IMAGE", names)->required();
  inspect->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
      Json all = Json::array();
      for (const auto& name : names)
        all.push_back(TRY(inspect_image_json(engine, TRY(engine.images().find(name)))));
      print_inspected(all, inspect_format);
      return 0;
    };
  });

  static std::string import_source, import_name, message;
  static std::vector<std::string> changes;
  auto* import = app.add_subcommand(
      "import", "Import the contents from a tarball (or directory) to create an image");
  import->add_option("-c,--change", changes, "Apply Dockerfile instruction to the created image");
  import->add_option("-m,--message", message, "Set commit message for imported image");
  import->add_option("file", import_source)->required();
  import->add_option("REPOSITORY", import_name);
  import->callback([&] {
    action = [&]() -> Result<int> {
      auto engine = TRY(open_engine(globals));
  image::ImportOptions options{changes, message, {}, ""};
  if (!import_name.empty()) options.names.push_back(import_name);
  image::ImageRecord image;
  if (import_source == "-") {
    image = TRY(image::import_tarball(engine.images(), STDIN_FILENO, options));
  } else if (sys::is_directory(import_source)) {
    image = TRY(image::import_directory(engine.images(), import_source, options));
  } else {
    sys::UniqueFd fd(::open(import_source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return fail_errno(errno, "open \"{}\"", import_source);
    image = TRY(image::import_tarball(engine.images(), fd.get(), options));
  }
  std::printf("%s\n", image.id.str().c_str());
  return 0;
};
}  // namespace quai::cli
);

static std::string output, format = "docker-archive";
auto* save_verb = app.add_subcommand("save", "Save one or more images to a tar archive");
save_verb->add_option("-o,--output", output, "Write to a file, instead of STDOUT");
save_verb->add_option("--format", format, "docker-archive or oci-archive")
    ->check(CLI::IsMember({"docker-archive", "oci-archive"}));
save_verb->add_option("IMAGE", names)->required();
save_verb->callback([&] { action = [&] { return save(globals, names, output, format); }; });

static std::string input;
auto* load_verb = app.add_subcommand("load", "Load an image from a tar archive or STDIN");
load_verb->add_option("-i,--input", input, "Read from tar archive file, instead of STDIN");
load_verb->add_flag("-q,--quiet", quiet, "Suppress the load output");
load_verb->callback([&] { action = [&] { return load(globals, input, quiet); }; });

static bool prune_all = false;
auto* prune = app.add_subcommand("image-prune", "Remove unused images");
prune->group("");
prune->add_flag("-a,--all", prune_all, "Remove all unused images, not just dangling ones");
prune->add_flag("-f,--force", force, "Do not prompt for confirmation");
prune->callback([&] {
  action = [&]() -> Result<int> {
    auto engine = TRY(open_engine(globals));
    auto report = TRY(engine.images().prune(prune_all, engine.images_in_use()));
    auto gc = TRY(engine.images().collect_garbage(engine.pinned_layers()));
    if (!report.deleted.empty()) {
      std::printf("Deleted Images:\n");
      print_remove_report(report, true);
      std::printf("\n");
    }
    std::printf("Total reclaimed space: %s\n", human_size(gc.bytes_freed).c_str());
    return 0;
  };
});

static std::string what, suite = "bookworm", tag_name;
auto* bootstrap =
    app.add_subcommand("image-bootstrap", "Make a base image from the host: busybox or debian");
bootstrap->group("");
bootstrap->add_option("WHAT", what)->required()->check(CLI::IsMember({"busybox", "debian"}));
bootstrap->add_option("--suite", suite, "Debian suite")->capture_default_str();
bootstrap->add_option("-t,--tag", tag_name,
                      "Name of the image (default: busybox:latest or debian:SUITE)");
bootstrap->callback([&] {
  action = [&]() -> Result<int> {
    auto engine = TRY(open_engine(globals));
    image::ImageRecord image;
    if (what == "busybox") {
      image = TRY(image::bootstrap_busybox(engine.images(),
                                           tag_name.empty() ? "busybox:latest" : tag_name));
    } else {
      image = TRY(image::bootstrap_debian(engine.images(),
                                          tag_name.empty() ? "debian:" + suite : tag_name, suite));
      if (tag_name.empty()) TRY(engine.images().tag(image.id.str(), "debian:latest"));
    }
    std::printf("%s\n", image.id.str().c_str());
    return 0;
  };
});
}

}  // namespace quai::cli
