#pragma once
// `create`/`run`: an image's config merged with the user's flags into a container record,
// as Docker merges them (flags win; an --entrypoint resets the image's CMD).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/engine.h"

namespace quai::engine {

struct ContainerRequest {
  std::string image;
  std::string name;
  std::optional<std::vector<std::string>> entrypoint;  // --entrypoint "" clears it
  std::vector<std::string> args;                       // after the image name
  std::vector<std::string> env;                        // -e and --env-file, in order
  std::map<std::string, std::string> labels;
  std::string user, working_dir, hostname, stop_signal;
  std::optional<int> stop_timeout;
  bool tty = false, interactive = false;
  ContainerRecord host;  // HostConfig fields as parsed from the flags
};

/// "NAME=value" lists: later entries replace earlier ones with the same name, keeping the
/// first one's place.
std::vector<std::string> merge_env(std::vector<std::string> base,
                                   const std::vector<std::string>& overrides);

/// Resolves the image, merges, creates anonymous volumes for the image's VOLUMEs that no
/// mount covers, and writes the record. NotFound "No such image: X" (exit 125 upstream).
Result<ContainerRecord> create_from_request(Engine& engine, const ContainerRequest& request);

}  // namespace quai::engine
