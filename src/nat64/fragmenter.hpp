#pragma once
// Fragmentation of the translator's own output (RFC 7915 4 and 5.1): an
// IPv6 packet translated from an IPv4 datagram without DF that is larger
// than the IPv6 side may carry, and an IPv4 datagram translated from a
// fragmented IPv6 packet that is larger than the IPv4 MTU. The packets are
// ones the translator built: a 20-byte IPv4 header or a 40-byte IPv6 header
// directly followed by the upper layer. Pure.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace gn::nat64 {

// IPv4 fragments of at most `mtu` bytes, sharing the packet's
// Identification; each gets MF, its offset and a header checksum.
void fragment_ipv4(std::span<const std::uint8_t> packet, std::size_t mtu, std::vector<std::vector<std::uint8_t>>& out);

// IPv6 fragments of at most `mtu` bytes, each with a Fragment header
// (identification `id`) after the 40-byte header.
void fragment_ipv6(std::span<const std::uint8_t> packet, std::size_t mtu, std::uint32_t id,
                   std::vector<std::vector<std::uint8_t>>& out);

}  // namespace gn::nat64
