#include "engine/resolv_conf.h"

#include <sstream>

namespace quai::engine {
namespace {

struct ResolvConf {
  std::vector<std::string> servers, search, options;
};

ResolvConf parse(std::string_view text) {
  ResolvConf conf;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find_first_of("#;"));  // comments, whole-line or trailing
    std::istringstream words(line);
    std::string key;
    words >> key;
    std::vector<std::string>* into = key == "nameserver" ? &conf.servers
                                     : key == "search"   ? &conf.search
                                     : key == "domain"   ? &conf.search
                                     : key == "options"  ? &conf.options
                                                         : nullptr;
    if (into == nullptr) continue;                          // comments, sortlist and the like
    if (key == "search" || key == "domain") into->clear();  // the last one counts
    for (std::string word; words >> word;) into->push_back(word);
  }
  return conf;
}

bool is_loopback(std::string_view server) { return server.starts_with("127.") || server == "::1"; }

void append_line(std::string& out, std::string_view key, const std::vector<std::string>& words) {
  if (words.empty()) return;
  out += key;
  for (const auto& word : words) out += " " + word;
  out += "\n";
}

}  // namespace

std::string container_resolv_conf(std::string_view host_file, const DnsSettings& wanted,
                                  bool host_network) {
  bool flags_given = !wanted.servers.empty() || !wanted.search.empty() || !wanted.options.empty();
  if (host_network && !flags_given) return std::string(host_file);
  ResolvConf conf = parse(host_file);
  if (!wanted.servers.empty()) {
    conf.servers = wanted.servers;
  } else if (!host_network) {
    std::erase_if(conf.servers, is_loopback);
    if (conf.servers.empty()) conf.servers = {"8.8.8.8", "8.8.4.4"};
  }
  if (!wanted.search.empty()) conf.search = wanted.search;
  if (wanted.search.size() == 1 && wanted.search[0] == ".") conf.search.clear();
  if (!wanted.options.empty()) conf.options = wanted.options;
  std::string out;
  for (const auto& server : conf.servers) out += "nameserver " + server + "\n";
  append_line(out, "search", conf.search);
  append_line(out, "options", conf.options);
  return out;
}

}  // namespace quai::engine
