#pragma once
// The neighbour solicitations and advertisements that offer, accept, keep
// and leave a NAT64 bypass tunnel (docs/protocol.md 8.4, 8.5): whole
// Ethernet frames (Ethernet, IPv6, ICMPv6 per RFC 4861). Pure functions over
// untrusted bytes: every length is checked, nothing else is assumed;
// fuzzed (tests/fuzz/fuzz_bypass.cpp).
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "bypass/derive.hpp"

namespace gn::bypass {

// Advertisement flags (RFC 4861 4.4), in the 32-bit word after the checksum.
inline constexpr std::uint32_t kFlagRouter = 0x80000000;
inline constexpr std::uint32_t kFlagSolicited = 0x40000000;
inline constexpr std::uint32_t kFlagOverride = 0x20000000;

struct NeighborMessage {
  std::uint8_t type = 0;  // net::kIcmp6NeighborSolicitation or ...Advertisement
  Mac eth_dst{};
  Mac eth_src{};
  Ipv6 src{};
  Ipv6 dst{};
  std::uint32_t flags = 0;  // advertisements only
  Ipv6 target{};
  // The Source (solicitation) or Target (advertisement) Link-Layer Address
  // option; an advertisement without one is a leave (8.5).
  std::optional<Mac> link_layer;
};

enum class NeighborError : std::uint8_t {
  kOk = 0,
  kTruncated,  // shorter than the headers it claims
  kNotIpv6,    // EtherType or IP version
  kNotIcmp6,   // next header is not ICMPv6 (extension headers are not accepted)
  kHopLimit,   // not 255: it did not come from the link (RFC 4861 7.1)
  kBadChecksum,
  kWrongType,   // not the message type asked for
  kBadCode,     // code is not 0
  kBadOption,   // an option of length 0 or running past the message
  kBadAddress,  // addresses that do not fit the message (8.4, 8.5)
};
std::string_view to_string(NeighborError e);

// Builds the frame for `m`: its ICMPv6 checksum, the IPv6 payload length and
// the one link-layer option (when `m.link_layer` is set) filled in.
std::vector<std::uint8_t> build_neighbor(const NeighborMessage& m);

// Parses a neighbour message of `type`, checking what RFC 4861 7.1.1/7.1.2
// asks of every receiver; bytes after the IPv6 payload are ignored
// (Ethernet padding).
NeighborError parse_neighbor(std::span<const std::uint8_t> frame, std::uint8_t type, NeighborMessage& out);

// The offer (8.4): a solicitation for `target` from the gateway's `mac`.
NeighborMessage offer_solicitation(const Mac& gateway_mac, const Ipv6& target);
// Parses an offer: a solicitation with a Source Link-Layer Address equal to
// the Ethernet source, sent to the target's solicited-node group.
NeighborError parse_offer(std::span<const std::uint8_t> frame, NeighborMessage& out);

// The server's answer to `offer` (8.5): solicited, with its tunnel MAC.
NeighborMessage acceptance(const NeighborMessage& offer, const Mac& server_mac);
// An unsolicited advertisement of `address` to all nodes: a keepalive, or
// without a link-layer address (`server_mac` nullopt) a leave.
NeighborMessage keepalive(const Mac& gateway_mac, const Mac& server_mac, const Ipv6& address, bool leave = false);
// Parses an acceptance, keepalive or leave: an advertisement whose source
// is its target, not multicast; a multicast destination only unsolicited.
NeighborError parse_advertisement(std::span<const std::uint8_t> frame, NeighborMessage& out);

}  // namespace gn::bypass
