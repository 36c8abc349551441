#pragma once
// What the inner Ethernet frames on one interface shared by many clients
// are for and from (docs/operations.md, "One interface for many clients").
// Pure functions over untrusted bytes: every length is checked, nothing is
// assumed about the frame; fuzzed (tests/fuzz/fuzz_inner_frame.cpp).
#include <cstdint>
#include <optional>
#include <span>

#include "net/address.hpp"

namespace gn::dataplane::inner {

// The address a frame read from the shared interface is routed by: the IPv6
// or IPv4 destination of a unicast packet, the target of an IPv6 neighbour
// solicitation (sent to a solicited-node multicast group, so it goes to the
// one client that owns the address asked about) or of an ARP packet.
// nullopt for everything that has no single owner (other multicast,
// broadcast, non-IP EtherTypes, VLAN tags, truncated headers): such frames
// are not flooded to every client.
std::optional<net::IpAddress> route_address(std::span<const std::uint8_t> frame);

// What a frame from a client is checked by.
struct Source {
  enum class Kind : std::uint8_t {
    kAddress,  // `address` must belong to the client (its allowed_ips)
    kExempt,   // neighbour discovery or MLD from a link-local or unspecified source: let through
    kInvalid,  // nothing the client may send on a shared interface
  };
  Kind kind = Kind::kInvalid;
  net::IpAddress address;
};
Source source_of(std::span<const std::uint8_t> frame);

}  // namespace gn::dataplane::inner
