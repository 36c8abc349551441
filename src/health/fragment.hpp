#pragma once
// The BIND dns64 fragment geneve-nat64-health keeps: one `dns64 PREFIX {
// clients {...}; exclude {...}; };` statement per listed prefix, the form
// of the public NAT64 service's named.conf.options fragment, for an
// `include "FILE";` inside named's options block. Pure: text in, text out.
//
// Which prefixes are listed: every prefix not known dead (a prefix not yet
// probed stays, so a restart does not withdraw anything before the first
// probes are in). When every prefix is dead, every prefix is listed again
// ("fail open"): with one probe target, all prefixes dead at once is more
// likely the target's failure (or our own uplink's) than every NAT64's,
// and a DNS64 without a prefix makes every IPv4-only name unreachable for
// certain, while listing them costs nothing more when the NAT64s really are
// all down. docs/health.md says this to operators.
#include <string>
#include <vector>

#include "health/prefix_health.hpp"

namespace gn::health {

struct Dns64Lists {
  // BIND address match list elements: "any", "none", "localhost",
  // "localnets", an address or prefix, each optionally negated with "!".
  std::vector<std::string> clients = {"any"};
  // IPv6 prefixes whose AAAA records are ignored (and synthesized over).
  std::vector<std::string> exclude = {"0::/3", "4000::/2", "8000::/1"};
};

struct PrefixState {
  std::string prefix;  // "2001:db8:64:a::/96", as Nat64Prefix::to_string
  Health health = Health::kUnknown;
};

// The prefixes to list, in the configured order (rule above).
std::vector<std::string> listed_prefixes(const std::vector<PrefixState>& prefixes);

// The fragment's text: a comment line, then one statement per prefix, tab
// indented as in BIND's documentation. An empty `prefixes` gives the comment
// only (no statement: BIND then synthesizes nothing).
std::string render_fragment(const std::vector<std::string>& prefixes, const Dns64Lists& lists);

// A clients element as written in the fragment; throws UsageError naming
// `text` when BIND would not read it as one (or it could break out of the
// statement: only the forms above are accepted, no ';', '{', '}' or '"').
std::string client_element(const std::string& text);
// An exclude prefix (IPv6) as written; throws UsageError naming `text`.
std::string exclude_element(const std::string& text);

}  // namespace gn::health
