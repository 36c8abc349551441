#include "endpoint/peer_table.hpp"

namespace gn::endpoint {

bool PeerTable::add(Peer& peer) {
  return by_identity_.emplace(IdentityKey{peer.spec.remote, peer.spec.vni}, &peer).second;
}

Peer* PeerTable::by_identity(const net::IpAddress& remote, std::uint32_t vni) const {
  auto it = by_identity_.find(IdentityKey{remote, vni});
  return it == by_identity_.end() ? nullptr : it->second;
}

Peer* PeerTable::accepting(const net::Endpoint& from) const {
  if (!by_endpoint_.empty())
    if (auto it = by_endpoint_.find(from); it != by_endpoint_.end()) return it->second;
  if (auto it = by_address_.find(from.address); it != by_address_.end()) return it->second;
  return nullptr;
}

void PeerTable::accept_from_paths(Peer& peer) {
  for (const auto& a : peer.accepted_addresses)
    if (auto it = by_address_.find(a); it != by_address_.end() && it->second == &peer) by_address_.erase(it);
  if (peer.accepted_endpoint)
    if (auto it = by_endpoint_.find(*peer.accepted_endpoint); it != by_endpoint_.end() && it->second == &peer)
      by_endpoint_.erase(it);
  peer.accepted_addresses.clear();
  peer.accepted_endpoint.reset();
  for (const control::Candidate* c : peer.paths.candidates()) {
    if (c->kind == control::PathKind::kDirect || c->kind == control::PathKind::kNat64) {
      auto [it, added] = by_address_.emplace(c->target.address, &peer);
      if (added) peer.accepted_addresses.push_back(c->target.address);
    }
  }
  if (auto learned = peer.paths.learned_source()) {
    by_endpoint_[*learned] = &peer;
    peer.accepted_endpoint = learned;
  }
}

}  // namespace gn::endpoint
