#include "health/fragment.hpp"

#include <optional>

#include "net/address.hpp"
#include "util/error.hpp"

namespace gn::health {

std::vector<std::string> listed_prefixes(const std::vector<PrefixState>& prefixes) {
  std::vector<std::string> listed;
  for (const PrefixState& p : prefixes)
    if (p.health != Health::kDead) listed.push_back(p.prefix);
  if (listed.empty())
    for (const PrefixState& p : prefixes) listed.push_back(p.prefix);
  return listed;
}

namespace {

std::string list_of(const std::vector<std::string>& elements) {
  std::string out = "{";
  for (const std::string& e : elements) out += " " + e + ";";
  return out + " }";
}

}  // namespace

std::string render_fragment(const std::vector<std::string>& prefixes, const Dns64Lists& lists) {
  std::string out =
      "// Written by geneve-nat64-health: the NAT64 prefixes that answer probes. Do not edit; it is rewritten.\n";
  for (const std::string& p : prefixes) {
    out += "dns64 " + p + " {\n";
    out += "\tclients " + list_of(lists.clients) + ";\n";
    if (!lists.exclude.empty()) out += "\texclude " + list_of(lists.exclude) + ";\n";
    out += "};\n";
  }
  return out;
}

namespace {

// "ADDR/LEN" with no host bits set, as BIND wants it, canonical; nullopt if
// it is not one.
std::optional<net::IpPrefix> exact_prefix(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  const auto address = net::IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  try {
    const net::IpPrefix p = net::IpPrefix::parse(text);
    if (p.network() != *address) return std::nullopt;
    return p;
  } catch (const UsageError&) {
    return std::nullopt;
  }
}

}  // namespace

std::string client_element(const std::string& text) {
  const bool negated = !text.empty() && text[0] == '!';
  const std::string body = negated ? text.substr(1) : text;
  const std::string bang = negated ? "!" : "";
  if (body == "any" || body == "none" || body == "localhost" || body == "localnets") return text;
  if (const auto a = net::IpAddress::parse(body)) return bang + a->to_string();
  if (const auto p = exact_prefix(body)) return bang + p->to_string();
  throw UsageError("clients entry '" + text +
                   "' is not any, none, localhost, localnets, an address or a prefix without host bits (each may "
                   "start with '!')");
}

std::string exclude_element(const std::string& text) {
  const auto p = exact_prefix(text);
  if (!p || !p->network().is_v6())
    throw UsageError("exclude entry '" + text + "' is not an IPv6 prefix without host bits (e.g. 8000::/1)");
  return p->to_string();
}

}  // namespace gn::health
