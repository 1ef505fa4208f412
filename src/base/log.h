#pragma once
// Process-wide logging to stderr or a file, as text or as the JSON lines runc writes
// ({"level":…,"msg":…,"time":…}) so that podman and conmon can read them.

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace quai::log {

enum class Level { Debug, Info, Warn, Error };
enum class Format { Text, Json };

struct Options {
  Level level = Level::Warn;
  Format format = Format::Text;
  std::string file;  // empty: stderr
};

/// Sets where and how logging goes; a log file that cannot be opened falls back to stderr.
void configure(const Options& options);
bool enabled(Level level);
void write(Level level, std::string_view message);

template <class... Args>
void debug(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::Info)) write(Level::Info, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> format, Args&&... args) {
  if (enabled(Level::Warn)) write(Level::Warn, fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
  write(Level::Error, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace quai::log
