// The grammar is distribution's reference grammar (name components of [a-z0-9] joined by
// ".", "_", "__" or dashes; a domain of host[:port]; tags of [\w][\w.-]{0,127}).

#include "image/reference.h"

#include <cctype>

#include "base/strings.h"

namespace quai::image {
namespace {

constexpr size_t kMaxNameLength = 255;
constexpr size_t kMaxTagLength = 128;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// alpha-numeric (separator alpha-numeric)*, separator = "." | "_" | "__" | "-"+
bool is_path_component(std::string_view part) {
  if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) return false;
  for (size_t i = 0; i < part.size();) {
    if (is_lower_alnum(part[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < part.size() && !is_lower_alnum(part[i])) ++i;
    std::string_view separator = part.substr(start, i - start);
    bool dashes = separator.find_first_not_of('-') == std::string_view::npos;
    if (separator != "." && separator != "_" && separator != "__" && !dashes) return false;
  }
  return true;
}

bool is_domain_component(std::string_view part) {
  if (part.empty() || part.front() == '-' || part.back() == '-') return false;
  for (char c : part) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
  }
  return true;
}

bool is_domain(std::string_view domain) {
  if (domain.starts_with('[')) {  // [IPv6]:port
    size_t close = domain.find(']');
    if (close == std::string_view::npos) return false;
    std::string_view rest = domain.substr(close + 1);
    return rest.empty() ||
           (rest.size() > 1 && rest[0] == ':' &&
            rest.substr(1).find_first_not_of("0123456789") == std::string_view::npos);
  }
  size_t colon = domain.rfind(':');
  std::string_view host = domain.substr(0, colon);
  if (colon != std::string_view::npos) {
    std::string_view port = domain.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
  }
  for (const auto& part : split(host, '.')) {
    if (!is_domain_component(part)) return false;
  }
  return true;
}

bool is_tag_text(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagLength || !is_word(tag.front())) return false;
  for (char c : tag) {
    if (!is_word(c) && c != '.' && c != '-') return false;
  }
  return true;
}

// Docker's rule: the first component is a domain if it has a "." or ":", is "localhost",
// or has upper-case letters (a path component never does).
bool looks_like_domain(std::string_view first) {
  if (first == "localhost") return true;
  if (first.find_first_of(".:") != std::string_view::npos) return true;
  for (char c : first) {
    if (std::isupper(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

Status split_name(std::string_view text, std::string_view name, Reference& ref) {
  size_t slash = name.find('/');
  if (slash != std::string_view::npos && looks_like_domain(name.substr(0, slash))) {
    ref.domain = std::string(name.substr(0, slash));
    ref.path = std::string(name.substr(slash + 1));
  } else {
    ref.domain = std::string(kDefaultDomain);
    ref.path = std::string(name);
  }
  if (ref.domain == "index.docker.io") ref.domain = std::string(kDefaultDomain);
  if (!is_domain(ref.domain))
    return fail(Errc::InvalidArgument, "invalid reference \"{}\": bad domain \"{}\"", text,
                ref.domain);
  for (const auto& part : split(ref.path, '/')) {
    if (!is_path_component(part)) {
      bool upper = std::any_of(part.begin(), part.end(),
                               [](char c) { return std::isupper(static_cast<unsigned char>(c)); });
      if (upper)
        return fail(Errc::InvalidArgument,
                    "invalid reference \"{}\": repository name must be lowercase", text);
      return fail(Errc::InvalidArgument, "invalid reference \"{}\": bad name component \"{}\"",
                  text, part);
    }
  }
  if (ref.domain == kDefaultDomain && ref.path.find('/') == std::string::npos)
    ref.path = "library/" + ref.path;
  if (ref.name().size() > kMaxNameLength) {
    return fail(Errc::InvalidArgument, "invalid reference \"{}\": name longer than {} characters",
                text, kMaxNameLength);
  }
  return ok();
}

}  // namespace

std::string Reference::name() const { return domain + "/" + path; }

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) return name();
  if (path.starts_with("library/") && path.find('/', 8) == std::string::npos) return path.substr(8);
  return path;
}

std::string Reference::str() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->str();
  return out;
}

std::string Reference::familiar_str() const {
  std::string out = familiar_name();
  if (!tag.empty()) out += ":" + tag;
  if (digest) out += "@" + digest->str();
  return out;
}

Reference Reference::with_default_tag() const {
  Reference out = *this;
  if (out.tag.empty() && !out.digest) out.tag = std::string(kDefaultTag);
  return out;
}

bool is_valid_repository_path(std::string_view path) {
  if (path.empty() || path.size() > kMaxNameLength) return false;
  for (const auto& part : split(path, '/'))
    if (!is_path_component(part)) return false;
  return true;
}

bool is_valid_tag(std::string_view tag) { return is_tag_text(tag); }

Result<Reference> parse_reference(std::string_view text) {
  if (text.empty()) return fail(Errc::InvalidArgument, "invalid reference: empty");
  Reference ref;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = TRY_CTX(Digest::parse(rest.substr(at + 1)), "invalid reference \"{}\"", text);
    rest = rest.substr(0, at);
  }
  // A tag follows the last ":" that comes after the last "/" (a port comes before it).
  size_t colon = rest.rfind(':');
  size_t slash = rest.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    if (!is_tag_text(ref.tag))
      return fail(Errc::InvalidArgument, "invalid reference \"{}\": bad tag \"{}\"", text, ref.tag);
    rest = rest.substr(0, colon);
  }
  if (rest.empty()) return fail(Errc::InvalidArgument, "invalid reference \"{}\": no name", text);
  if (rest.size() == 64 && rest.find_first_not_of("0123456789abcdef") == std::string_view::npos) {
    return fail(Errc::InvalidArgument,
                "invalid reference \"{}\": a 64-digit hex string is an id, not a name", text);
  }
  TRY(split_name(text, rest, ref));
  return ref;
}

}  // namespace quai::image
