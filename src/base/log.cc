#include "base/log.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>

#include <fmt/chrono.h>
#include <nlohmann/json.hpp>

namespace quai::log {
namespace {

struct State {
  Options options;
  int fd = STDERR_FILENO;
};

State& state() {
  static State s;
  return s;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warning";
    case Level::Error:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto micros = std::chrono::time_point_cast<std::chrono::microseconds>(now);
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", micros);
}

}  // namespace

void configure(const Options& options) {
  State& s = state();
  s.options = options;
  if (s.fd != STDERR_FILENO) close(s.fd);
  s.fd = STDERR_FILENO;
  if (!options.file.empty()) {
    int fd = open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) s.fd = fd;
  }
}

bool enabled(Level level) { return level >= state().options.level; }

void write(Level level, std::string_view message) {
  const State& s = state();
  std::string line;
  if (s.options.format == Format::Json) {
    nlohmann::json j = {{"level", level_name(level)}, {"msg", message}, {"time", timestamp()}};
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (s.fd == STDERR_FILENO) {
    line = fmt::format("quai-runtime: {}: {}\n", level_name(level), message);
  } else {
    line = fmt::format("{} {}: {}\n", timestamp(), level_name(level), message);
  }
  // One write per line keeps lines whole when several processes share the log file.
  [[maybe_unused]] ssize_t n = ::write(s.fd, line.data(), line.size());
}

}  // namespace quai::log
