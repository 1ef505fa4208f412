// What a registry client or server reads from the other side: manifests (their references),
// htpasswd files and Basic credentials, WWW-Authenticate challenges.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "registry/client/session.h"
#include "registry/manifest_refs.h"
#include "registry/server/htpasswd.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)quai::registry::read_manifest_refs(text);
  (void)quai::registry::client::parse_challenge(text);
  if (auto users = quai::registry::server::Htpasswd::parse(text, "htpasswd"))
    (void)users->allows(text);
  return 0;
}
