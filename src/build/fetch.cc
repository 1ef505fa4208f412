#include "build/fetch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/client.h"
#include "sys/fd.h"
#include "sys/file_io.h"

namespace quai::build {
namespace {

// "https://host/dir/file.tar.gz?x=1#y" → "file.tar.gz".
std::string last_path_component(const std::string& url) {
  std::string path = url.substr(0, url.find_first_of("?#"));
  size_t scheme = path.find("://");
  size_t slash = path.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash == std::string::npos) return "";
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

Result<Download> download(const std::string& url, const std::string& dir) {
  Download result;
  result.file_name = last_path_component(url);
  if (result.file_name == "." || result.file_name == "..") result.file_name.clear();
  result.path = dir + "/" + (result.file_name.empty() ? "download" : result.file_name);
  sys::UniqueFd out(::open(result.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out) return fail_errno(errno, "create \"{}\"", result.path);

  http::Client client = TRY(http::Client::make());
  http::Request request;
  request.url = url;
  request.want_modified_time = true;
  request.sink = [&](std::string_view data) { return sys::write_all(out.get(), data); };
  http::Response response = TRY(client.perform(request));
  if (response.status < 200 || response.status >= 300)
    return fail(Errc::NotFound, "GET {}: HTTP {}", url, response.status);
  if (response.modified) {
    struct timespec times[2] = {{static_cast<time_t>(*response.modified), 0},
                                {static_cast<time_t>(*response.modified), 0}};
    if (::futimens(out.get(), times) != 0) return fail_errno(errno, "set the time of \"{}\"", url);
  }
  return result;
}

}  // namespace quai::build
