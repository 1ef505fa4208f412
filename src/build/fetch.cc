#include "build/fetch.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <type_traits>

#include "sys/fd.h"
#include "sys/file_io.h"

namespace quai::build {
namespace {

// libcurl is loaded when an ADD first fetches a URL: linked in, its thirty-odd shared
// dependencies would be loaded by every `quai run` too (docs/DECISIONS.md).
struct LibCurl {
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
};

Result<const LibCurl*> load_libcurl() {
  static const Result<LibCurl> loaded = []() -> Result<LibCurl> {
    void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr)
      return fail(Errc::Unsupported, "fetching URLs needs libcurl ({}): apt-get install libcurl4",
                  ::dlerror());
    LibCurl curl;
    bool complete = true;
    auto bind = [&](auto& function, const char* name) {
      function =
          reinterpret_cast<std::remove_reference_t<decltype(function)>>(::dlsym(library, name));
      complete = complete && function != nullptr;
    };
    bind(curl.easy_init, "curl_easy_init");
    bind(curl.easy_cleanup, "curl_easy_cleanup");
    bind(curl.easy_setopt, "curl_easy_setopt");
    bind(curl.easy_perform, "curl_easy_perform");
    bind(curl.easy_getinfo, "curl_easy_getinfo");
    bind(curl.easy_strerror, "curl_easy_strerror");
    if (!complete) return fail(Errc::Unsupported, "libcurl.so.4 lacks the easy interface");
    return curl;
  }();
  if (!loaded) return std::unexpected(loaded.error());
  return &*loaded;
}

size_t write_to_fd(char* data, size_t size, size_t count, void* fd) {
  auto status = sys::write_all(*static_cast<int*>(fd), std::string_view(data, size * count));
  return status ? size * count : 0;  // anything short makes curl stop with an error
}

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

  const LibCurl& lib = *TRY(load_libcurl());
  auto deleter = [&lib](CURL* handle) { lib.easy_cleanup(handle); };
  std::unique_ptr<CURL, decltype(deleter)> curl(lib.easy_init(), deleter);
  if (!curl) return fail(Errc::Internal, "GET {}: curl_easy_init failed", url);
  char error[CURL_ERROR_SIZE] = "";
  int fd = out.get();
  lib.easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  lib.easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  lib.easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
  lib.easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 10L);
  lib.easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 30L);
  lib.easy_setopt(curl.get(), CURLOPT_USERAGENT, "quai-build");
  lib.easy_setopt(curl.get(), CURLOPT_FILETIME, 1L);
  lib.easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  lib.easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  lib.easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, write_to_fd);
  lib.easy_setopt(curl.get(), CURLOPT_WRITEDATA, &fd);
  CURLcode code = lib.easy_perform(curl.get());
  if (code != CURLE_OK) {
    return fail(Errc::Io, "GET {}: {}", url, error[0] != '\0' ? error : lib.easy_strerror(code));
  }
  long status = 0;
  lib.easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status < 200 || status >= 300) return fail(Errc::NotFound, "GET {}: HTTP {}", url, status);
  curl_off_t modified = -1;
  lib.easy_getinfo(curl.get(), CURLINFO_FILETIME_T, &modified);
  if (modified >= 0) {
    struct timespec times[2] = {{static_cast<time_t>(modified), 0},
                                {static_cast<time_t>(modified), 0}};
    if (::futimens(out.get(), times) != 0) return fail_errno(errno, "set the time of \"{}\"", url);
  }
  return result;
}

}  // namespace quai::build
