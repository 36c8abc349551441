#include "control/path_kind.hpp"

namespace gn::control {

std::string_view path_kind(PathKind slot, const net::Endpoint& target, bool route_option, const PathFacts& facts) {
  switch (slot) {
    case PathKind::kNone: return "none";
    case PathKind::kLearned: return "learned";
    case PathKind::kDirect:
    case PathKind::kNat64: break;
  }
  if (target.address.is_v4()) return "ipv4";
  if (target.address == facts.remote) return "direct-ipv6";
  for (const auto& p : facts.nat64_prefixes)
    if (p.contains(target.address)) return "nat64-prefix";
  return route_option ? "nat64-extension" : "ipv6";
}

std::string_view path_kind(const Candidate& c, const PathFacts& facts) {
  return path_kind(c.kind, c.target, c.route_option, facts);
}

std::string_view peer_slot(PathKind slot) {
  switch (slot) {
    case PathKind::kNone: return "none";
    case PathKind::kDirect: return "direct";
    case PathKind::kNat64: return "path";
    case PathKind::kLearned: return "learned";
  }
  return "none";
}

}  // namespace gn::control
