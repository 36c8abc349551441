#pragma once
// Which peer a packet belongs to. Control messages name their sender
// (identity: REMOTE and VNI); data is accepted by its outer source: from the
// addresses of a peer's configured candidates (direct, NAT64), or from the
// exact address and port its path was learned at (docs/protocol.md 6.6).
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "endpoint/peer.hpp"
#include "net/address.hpp"

namespace gn::endpoint {

class PeerTable {
 public:
  // False if a peer with the same REMOTE and VNI is already there.
  bool add(Peer& peer);
  Peer* by_identity(const net::IpAddress& remote, std::uint32_t vni) const;
  // The peer whose data is accepted from `from`, or nullptr.
  Peer* accepting(const net::Endpoint& from) const;
  // Replaces what `peer` is accepted from by its path selector's current
  // candidates and learned source.
  void accept_from_paths(Peer& peer);

 private:
  struct IdentityKey {
    net::IpAddress remote;
    std::uint32_t vni;
    friend bool operator==(const IdentityKey&, const IdentityKey&) = default;
  };
  struct IdentityHasher {
    net::AddressHasher h;
    std::size_t operator()(const IdentityKey& k) const {
      return h(k.remote) ^ (std::size_t{k.vni} * 0x9e3779b97f4a7c15ULL);
    }
  };
  std::unordered_map<IdentityKey, Peer*, IdentityHasher> by_identity_;
  std::unordered_map<net::IpAddress, Peer*, net::AddressHasher> by_address_;
  std::unordered_map<net::Endpoint, Peer*, net::AddressHasher> by_endpoint_;
};

}  // namespace gn::endpoint
