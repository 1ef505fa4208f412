#pragma once
// ADD's remote sources: a file fetched over HTTP(S) into the build's work dir, named as
// the URL's last path component, mode 0600 and the server's Last-Modified time (as
// Docker's ADD does), then copied like any context file.

#include <string>

#include "base/result.h"

namespace quai::build {

struct Download {
  std::string path;       // the file: dir/file_name, or dir/download without a name
  std::string file_name;  // the URL's last path component ("" for "https://host/")
};

/// Fetches `url` (http or https, redirects followed) into a new file in `dir`, which
/// holds nothing else.
/// Errors name the URL: "GET https://x/y: HTTP 404", "GET https://x/y: Could not
/// resolve host: x".
Result<Download> download(const std::string& url, const std::string& dir);

}  // namespace quai::build
