#include "http/client.h"

#include <curl/curl.h>
#include <dlfcn.h>

#include <cctype>

#include "sys/dynamic_library.h"

namespace quai::http {
namespace {

struct LibCurl {
  decltype(&curl_global_init) global_init;
  decltype(&curl_easy_init) easy_init;
  decltype(&curl_easy_cleanup) easy_cleanup;
  decltype(&curl_easy_reset) easy_reset;
  decltype(&curl_easy_setopt) easy_setopt;
  decltype(&curl_easy_perform) easy_perform;
  decltype(&curl_easy_getinfo) easy_getinfo;
  decltype(&curl_easy_strerror) easy_strerror;
  decltype(&curl_slist_append) slist_append;
  decltype(&curl_slist_free_all) slist_free_all;
};

Result<const LibCurl*> load_libcurl() {
  static const Result<LibCurl> loaded = []() -> Result<LibCurl> {
    void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr)
      return fail(Errc::Unsupported, "HTTP needs libcurl ({}): apt-get install libcurl4",
                  ::dlerror());
    LibCurl curl;
    bool complete = true;
    auto bind = [&](auto& function, const char* name) {
      complete = sys::bind_symbol(library, function, name) && complete;
    };
    bind(curl.global_init, "curl_global_init");
    bind(curl.easy_init, "curl_easy_init");
    bind(curl.easy_cleanup, "curl_easy_cleanup");
    bind(curl.easy_reset, "curl_easy_reset");
    bind(curl.easy_setopt, "curl_easy_setopt");
    bind(curl.easy_perform, "curl_easy_perform");
    bind(curl.easy_getinfo, "curl_easy_getinfo");
    bind(curl.easy_strerror, "curl_easy_strerror");
    bind(curl.slist_append, "curl_slist_append");
    bind(curl.slist_free_all, "curl_slist_free_all");
    if (!complete) return fail(Errc::Unsupported, "libcurl.so.4 lacks the easy interface");
    // Once, before any thread makes a handle: curl_easy_init would do it racily.
    if (curl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return fail(Errc::Internal, "curl_global_init failed");
    return curl;
  }();
  if (!loaded) return std::unexpected(loaded.error());
  return &*loaded;
}

// What the callbacks of one transfer share.
struct Transfer {
  const LibCurl* lib;
  CURL* curl;
  const Request* request;
  Response* response;
  std::optional<Error> failure;  // a sink's or reader's error, which stopped curl
  size_t body_offset = 0;
  bool started = false;  // a success's body has begun
};

size_t on_body(char* data, size_t size, size_t count, void* context) {
  auto& transfer = *static_cast<Transfer*>(context);
  std::string_view chunk(data, size * count);
  long status = 0;
  transfer.lib->easy_getinfo(transfer.curl, CURLINFO_RESPONSE_CODE, &status);
  // Only a success's body is the content; an error's (a registry's JSON) is kept to read.
  if (transfer.request->sink && status >= 200 && status < 300) {
    if (!transfer.started && transfer.request->on_success) transfer.request->on_success(status);
    transfer.started = true;
    auto written = transfer.request->sink(chunk);
    if (!written) {
      transfer.failure = written.error();
      return 0;
    }
  } else {
    if (transfer.response->body.size() + chunk.size() > transfer.request->max_collected) {
      transfer.failure = Error(Errc::Corrupt, fmt::format("the response is over {} bytes",
                                                          transfer.request->max_collected));
      return 0;
    }
    transfer.response->body.append(chunk);
  }
  return chunk.size();
}

size_t on_header(char* data, size_t size, size_t count, void* context) {
  auto& transfer = *static_cast<Transfer*>(context);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    transfer.response->headers.clear();  // a redirect's or a 100 Continue's headers
    transfer.response->body.clear();
    return line.size();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return line.size();
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  transfer.response->headers.emplace_back(std::move(name), std::string(value));
  return line.size();
}

size_t on_read(char* data, size_t size, size_t count, void* context) {
  auto& transfer = *static_cast<Transfer*>(context);
  const Request& request = *transfer.request;
  if (request.body_reader) {
    auto n = request.body_reader(data, size * count);
    if (!n) {
      transfer.failure = n.error();
      return CURL_READFUNC_ABORT;
    }
    return *n;
  }
  size_t n = std::min(size * count, request.body.size() - transfer.body_offset);
  std::copy_n(request.body.data() + transfer.body_offset, n, data);
  transfer.body_offset += n;
  return n;
}

}  // namespace

std::string Response::header(std::string_view name) const {
  for (auto it = headers.rbegin(); it != headers.rend(); ++it)
    if (it->first == name) return it->second;
  return "";
}

struct Client::Handle {
  const LibCurl* lib = nullptr;
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) lib->easy_cleanup(curl);
  }
};

Client::Client(std::unique_ptr<Handle> handle, TlsOptions tls)
    : handle_(std::move(handle)), tls_(std::move(tls)) {}
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;
Client::~Client() = default;

Result<Client> Client::make(TlsOptions tls) {
  const LibCurl* lib = TRY(load_libcurl());
  auto handle = std::make_unique<Handle>();  // in place: a moved-from Handle would clean up
  handle->lib = lib;
  handle->curl = lib->easy_init();
  if (handle->curl == nullptr) return fail(Errc::Internal, "curl_easy_init failed");
  return Client(std::move(handle), std::move(tls));
}

Result<Response> Client::perform(const Request& request) {
  const LibCurl& lib = *handle_->lib;
  CURL* curl = handle_->curl;
  lib.easy_reset(curl);  // keeps the connection cache, drops the last request's options
  Response response;
  Transfer transfer{&lib, curl, &request, &response, std::nullopt, 0, false};
  char error[CURL_ERROR_SIZE] = "";
  auto set = [&](CURLoption option, auto value) { lib.easy_setopt(curl, option, value); };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  set(CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  set(CURLOPT_MAXREDIRS, 10L);
  set(CURLOPT_CONNECTTIMEOUT, 30L);
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);  // a transfer that stalls for a minute is dead
  set(CURLOPT_LOW_SPEED_TIME, 60L);
  set(CURLOPT_USERAGENT, "quai");
  set(CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for timeouts
  // Blobs pass through the callbacks: 16 KiB at a time (curl's default) meant 4 000 writes
  // and hash updates for a 63 MB layer. These are curl's maximums for the two buffers.
  set(CURLOPT_BUFFERSIZE, 512L << 10);
  set(CURLOPT_UPLOAD_BUFFERSIZE, 2L << 20);
  set(CURLOPT_ERRORBUFFER, error);
  set(CURLOPT_WRITEFUNCTION, on_body);
  set(CURLOPT_WRITEDATA, &transfer);
  set(CURLOPT_HEADERFUNCTION, on_header);
  set(CURLOPT_HEADERDATA, &transfer);
  set(CURLOPT_SSL_VERIFYPEER, tls_.verify ? 1L : 0L);
  set(CURLOPT_SSL_VERIFYHOST, tls_.verify ? 2L : 0L);
  if (!tls_.ca_file.empty()) set(CURLOPT_CAINFO, tls_.ca_file.c_str());
  if (!tls_.ca_dir.empty()) set(CURLOPT_CAPATH, tls_.ca_dir.c_str());
  if (request.want_modified_time) set(CURLOPT_FILETIME, 1L);
  bool has_body = request.body_reader || !request.body.empty() || request.method == "PUT" ||
                  request.method == "PATCH" || request.method == "POST";
  if (request.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    set(CURLOPT_UPLOAD, 1L);
    set(CURLOPT_READFUNCTION, on_read);
    set(CURLOPT_READDATA, &transfer);
    curl_off_t length = request.body_reader
                            ? static_cast<curl_off_t>(request.body_length.value_or(-1))
                            : static_cast<curl_off_t>(request.body.size());
    if (!request.body_reader || request.body_length) set(CURLOPT_INFILESIZE_LARGE, length);
  }
  if (request.method != "GET" && request.method != "HEAD")
    set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_slist* headers = lib.slist_append(nullptr, "Expect:");  // no 100-continue round trip
  for (const std::string& header : request.headers)
    headers = lib.slist_append(headers, header.c_str());
  set(CURLOPT_HTTPHEADER, headers);
  CURLcode code = lib.easy_perform(curl);
  lib.slist_free_all(headers);
  if (transfer.failure) return fail(std::move(*transfer.failure));
  if (code != CURLE_OK)
    return fail(Errc::Io, "{} {}: {}", request.method, request.url,
                error[0] != '\0' ? error : lib.easy_strerror(code));
  lib.easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  if (request.want_modified_time) {
    curl_off_t modified = -1;
    lib.easy_getinfo(curl, CURLINFO_FILETIME_T, &modified);
    if (modified >= 0) response.modified = modified;
  }
  return response;
}

}  // namespace quai::http
