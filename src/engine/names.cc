// Names for containers created without --name: an adjective and a scientist or
// engineer, as Docker users expect ("brave_hopper").

#include <sys/random.h>

#include <array>
#include <string>
#include <string_view>

#include "engine/engine.h"

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

uint32_t random_number() {
  uint32_t value = 0;
  while (::getrandom(&value, sizeof value, 0) != sizeof value) {
  }
  return value;
}

}  // namespace

std::string generate_container_name() {
  uint32_t r = random_number();
  return std::string(kAdjectives[r % kAdjectives.size()]) + "_" +
         std::string(kSurnames[(r / kAdjectives.size()) % kSurnames.size()]);
}

}  // namespace quai::engine
