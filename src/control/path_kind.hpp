#pragma once
// What a candidate path really is, for status and logs. The wire's PathKind
// is a slot (the direct candidate, PATH, a learned source), not a fact:
// PATH may be REMOTE itself over plain IPv6, a NAT64 address, or an IPv4
// address. The kind is derived from what the endpoint knows: the target's
// family, whether it is REMOTE, whether it lies in our NAT64 prefix, and
// whether the NAT64 routing option goes with it.
#include <string_view>
#include <vector>

#include "control/path.hpp"
#include "net/address.hpp"

namespace gn::control {

struct PathFacts {
  net::IpAddress remote;                         // REMOTE: the peer's own IPv6 address
  std::vector<net::Nat64Prefix> nat64_prefixes;  // --nat64-prefix: our side's NAT64s
};

// One of:
//   "direct-ipv6"      the target is REMOTE itself: no translation anywhere
//   "nat64-prefix"     the target lies in one of our NAT64s' prefixes (--nat64-prefix):
//                      our NAT64 translates, the peer is an IPv4 address
//   "nat64-extension"  another IPv6 address with the routing option: the
//                      peer's NAT64 (with the extension) forwards by the option
//   "ipv4"             an IPv4 target: sent as IPv4 (a client behind NAT44/CGN)
//   "ipv6"             another IPv6 address without the option: nothing more
//                      is known about it
//   "learned"          learned from the peer's probes (server role)
//   "none"             no candidate
std::string_view path_kind(PathKind slot, const net::Endpoint& target, bool route_option, const PathFacts& facts);
std::string_view path_kind(const Candidate& c, const PathFacts& facts);

// What the peer says it sends on (a slot of the peer's, whose facts we do
// not know): "direct", "path" (its PATH), "learned" or "none".
std::string_view peer_slot(PathKind slot);

}  // namespace gn::control
