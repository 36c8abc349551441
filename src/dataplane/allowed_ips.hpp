#pragma once
// One interface shared by many tunnels (a server's clients), as WireGuard
// shares one interface between its peers: each tunnel owns inner prefixes
// (its allowed_ips); a frame read from the interface goes to the tunnel
// owning its inner destination (longest-prefix match), and a frame from a
// tunnel is let onto the interface only if its inner source is one that
// tunnel owns. Built before the data plane starts, then only read (by the
// transmit worker and the receive path at once, so never changed).
#include <cstddef>
#include <span>

#include "dataplane/inner_frame.hpp"
#include "net/address.hpp"
#include "net/prefix_table.hpp"

namespace gn::dataplane {

struct Tunnel;

class AllowedIps {
 public:
  // False if another tunnel already has exactly this prefix.
  bool add(const net::IpPrefix& prefix, Tunnel* tunnel) {
    return table_.add(prefix.network(), prefix.length(), tunnel);
  }
  // The tunnel a frame from the interface is for, or nullptr: no single
  // owner (multicast other than a neighbour solicitation, broadcast, non-IP)
  // or no tunnel owns the destination.
  Tunnel* route(std::span<const std::uint8_t> frame) const {
    auto a = inner::route_address(frame);
    if (!a) return nullptr;
    Tunnel* const* t = table_.lookup(*a);
    return t ? *t : nullptr;
  }
  // Whether `tunnel` may put `frame` on the interface.
  bool source_allowed(std::span<const std::uint8_t> frame, const Tunnel* tunnel) const {
    auto s = inner::source_of(frame);
    if (s.kind == inner::Source::Kind::kExempt) return true;
    if (s.kind != inner::Source::Kind::kAddress) return false;
    Tunnel* const* t = table_.lookup(s.address);
    return t && *t == tunnel;
  }
  std::size_t size() const { return table_.size(); }

 private:
  net::PrefixTable<Tunnel*> table_;
};

}  // namespace gn::dataplane
