#pragma once
// RFC 7050: how a host behind a DNS64 learns its NAT64 prefixes. The name
// ipv4only.arpa has only the A records 192.0.0.170 and 192.0.0.171 (RFC
// 8880), so every AAAA a DNS64 returns for it is one of those embedded in a
// prefix it synthesizes with; where the well-known address sits in the
// answer gives the prefix length (RFC 6052 2.2). The parsing is pure; only
// discover_nat64_prefixes() asks the system resolver.
#include <string>
#include <vector>

#include "net/address.hpp"

namespace gn::net {

// The name RFC 7050 section 3 looks up.
inline constexpr const char* kIpv4OnlyArpa = "ipv4only.arpa";

// The prefixes `answers` (AAAA records of ipv4only.arpa) were synthesized
// with, each once, in the order of their first answer. An answer holding a
// well-known address at several RFC 6052 positions is settled by its
// partner (the other well-known address in the same prefix: the two differ
// where the address sits), else taken as /96, else skipped. Throws
// std::runtime_error naming the answers when none holds a well-known
// address at an RFC 6052 position (not a DNS64's synthesis).
std::vector<Nat64Prefix> prefixes_from_synthesis(const std::vector<IpAddress>& answers);

// Looks up the AAAA records of `name` through the system resolver
// (getaddrinfo: /etc/resolv.conf, nsswitch) and returns
// prefixes_from_synthesis() of them. Blocks for as long as the resolver
// takes. Throws std::runtime_error saying what failed: no AAAA at all (no
// DNS64 on the way, or one that synthesizes nothing), no answer, or answers
// that are not a synthesis.
std::vector<Nat64Prefix> discover_nat64_prefixes(const std::string& name = kIpv4OnlyArpa);

// "2001:db8:64:a::/96, 2001:db8:64:b::/96".
std::string to_string(const std::vector<Nat64Prefix>& prefixes);

}  // namespace gn::net
