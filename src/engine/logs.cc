#include "engine/logs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <thread>

#include "base/json.h"
#include "image/image_store.h"
#include "sys/file_io.h"

namespace quai::engine {
namespace {

// A line longer than this is cut into several entries, as Docker does at 16 KiB.
constexpr size_t kMaxLine = 16 * 1024;

std::optional<LogEntry> parse_entry(std::string_view line) {
  auto json = Json::parse(line, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  return LogEntry{json.value("stream", ""), json.value("log", ""), json.value("time", "")};
}

}  // namespace

Result<LogWriter> LogWriter::open(std::string path, uint64_t max_size) {
  sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (!fd) return fail_errno(errno, "open log \"{}\"", path);
  struct stat st {};
  ::fstat(fd.get(), &st);
  return LogWriter(std::move(path), std::move(fd), static_cast<uint64_t>(st.st_size), max_size);
}

void LogWriter::append_entry(std::string_view stream, std::string_view line) {
  Json entry{{"log", line}, {"stream", stream}, {"time", rfc3339_now()}};
  std::string text = entry.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  if (size_ + text.size() > max_size_ && size_ > 0) rotate();
  // A full disk loses log lines, never the container: the error is not propagated.
  if (sys::write_all(fd_.get(), text)) size_ += text.size();
}

void LogWriter::rotate() {
  std::string old = path_ + ".1";
  ::rename(path_.c_str(), old.c_str());
  sys::UniqueFd fd(
      ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640));
  if (fd) {
    fd_ = std::move(fd);
    size_ = 0;
  }
}

void LogWriter::write(std::string_view stream, std::string_view data) {
  std::string& pending = stream == "stderr" ? pending_stderr_ : pending_stdout_;
  pending.append(data);
  size_t start = 0;
  while (true) {
    size_t newline = pending.find('\n', start);
    if (newline == std::string::npos) break;
    append_entry(stream, std::string_view(pending).substr(start, newline + 1 - start));
    start = newline + 1;
  }
  pending.erase(0, start);
  while (pending.size() >= kMaxLine) {
    append_entry(stream, std::string_view(pending).substr(0, kMaxLine));
    pending.erase(0, kMaxLine);
  }
}

void LogWriter::flush() {
  if (!pending_stdout_.empty()) append_entry("stdout", pending_stdout_);
  if (!pending_stderr_.empty()) append_entry("stderr", pending_stderr_);
  pending_stdout_.clear();
  pending_stderr_.clear();
}

Status read_logs(const std::string& path, const LogQuery& query,
                 const std::function<void(const LogEntry&)>& emit) {
  std::deque<LogEntry> entries;
  auto collect = [&](std::string_view text) {
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      if (auto entry = parse_entry(text.substr(start, end - start))) {
        if (query.since.empty() || entry->time >= query.since) entries.push_back(std::move(*entry));
        if (query.tail && entries.size() > *query.tail) entries.pop_front();
      }
      start = end + 1;
    }
  };
  if (auto rotated = sys::read_file(path + ".1"); rotated) collect(*rotated);
  sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return ok();
    return fail_errno(errno, "open log \"{}\"", path);
  }
  collect(TRY(sys::read_all(fd.get())));
  for (const auto& entry : entries) emit(entry);
  if (!query.follow) return ok();
  // Follow: poll for appended lines; a line is emitted only once it is complete.
  std::string partial;
  while (true) {
    bool more = !query.keep_following || query.keep_following();
    std::string chunk = TRY(sys::read_all(fd.get()));
    partial += chunk;
    size_t end = partial.rfind('\n');
    if (end != std::string::npos) {
      entries.clear();
      collect(std::string_view(partial).substr(0, end + 1));
      for (const auto& entry : entries) emit(entry);
      partial.erase(0, end + 1);
    }
    if (!more) return ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace quai::engine
