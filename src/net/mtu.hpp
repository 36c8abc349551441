#pragma once
// Tunnel MTU arithmetic (docs/protocol.md, "MTU"). Pure functions.
#include <cstddef>
#include <cstdint>

#include "net/address.hpp"
#include "net/protocol.hpp"

namespace gn::net {

// Smallest MTU an IPv6 link may have (RFC 8200), and so the smallest inner
// MTU we allow: the inner traffic is IPv6.
inline constexpr std::uint32_t kMinInnerMtu = 1280;
inline constexpr std::uint32_t kMaxInnerMtu = 65535 - 128;

// Bytes a tunnel adds in front of an inner IP packet, from the outer IP
// header to the inner Ethernet header, for a GENEVE header of `geneve_len`
// bytes. The outer header is always budgeted as IPv6 (40 bytes), even on an
// IPv4 underlay: a packet leaving on IPv4 may be translated to IPv6 by a
// NAT64 on the way and grow by 20 bytes, and the far end cannot know.
std::uint32_t tunnel_overhead(std::size_t geneve_len);

// The inner MTU for an underlay link MTU: underlay_mtu - tunnel_overhead().
// Returns 0 if the underlay is too small to carry any packet.
std::uint32_t inner_mtu_for(std::uint32_t underlay_mtu, std::size_t geneve_len);

}  // namespace gn::net
