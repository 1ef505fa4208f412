// Names for containers created without --name: an adjective and a scientist or
// engineer, as Docker users expect ("brave_hopper").

#include <array>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "store/ids.h"

namespace quai::engine {
namespace {

constexpr std::array<std::string_view, 24> kAdjectives = {
    "agile", "bold",   "brave", "calm",   "clever", "eager",  "fancy",   "gentle",
    "happy", "jolly",  "keen",  "lucid",  "merry",  "nimble", "patient", "quiet",
    "rapid", "serene", "sharp", "steady", "sunny",  "tender", "vivid",   "witty"};

constexpr std::array<std::string_view, 24> kSurnames = {
    "babbage",  "bohr",    "curie",  "darwin",  "dijkstra", "einstein", "euler",    "faraday",
    "fermi",    "galileo", "gauss",  "hopper",  "kepler",   "knuth",    "lamport",  "liskov",
    "lovelace", "maxwell", "newton", "noether", "pascal",   "ritchie",  "thompson", "turing"};

}  // namespace

std::string generate_container_name() {
  uint32_t r = 0;
  store::random_bytes(&r, sizeof r);
  return std::string(kAdjectives[r % kAdjectives.size()]) + "_" +
         std::string(kSurnames[(r / kAdjectives.size()) % kSurnames.size()]);
}

}  // namespace quai::engine
