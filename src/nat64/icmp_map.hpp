#pragma once
// RFC 7915 ICMP error type/code mapping (sections 4.2 and 5.2), including
// the MTU arithmetic of Fragmentation Needed <-> Packet Too Big and the
// Parameter Problem pointer tables. Pure functions of the header fields.
#include <cstdint>
#include <optional>

namespace gn::nat64 {

inline constexpr std::uint8_t kIcmp4EchoReply = 0;
inline constexpr std::uint8_t kIcmp4DestUnreachable = 3;
inline constexpr std::uint8_t kIcmp4EchoRequest = 8;
inline constexpr std::uint8_t kIcmp4TimeExceeded = 11;
inline constexpr std::uint8_t kIcmp4ParamProblem = 12;
inline constexpr std::uint8_t kIcmp4FragNeededCode = 4;

inline constexpr std::uint8_t kIcmp6DestUnreachable = 1;
inline constexpr std::uint8_t kIcmp6PacketTooBig = 2;
inline constexpr std::uint8_t kIcmp6TimeExceeded = 3;
inline constexpr std::uint8_t kIcmp6ParamProblem = 4;
inline constexpr std::uint8_t kIcmp6EchoRequest = 128;
inline constexpr std::uint8_t kIcmp6EchoReply = 129;

inline constexpr std::uint32_t kIpv6MinMtu = 1280;
inline constexpr std::uint32_t kIpv4MinMtu = 68;

// An ICMP error header after translation: type, code and the 32-bit word
// after the checksum (MTU, pointer or unused).
struct IcmpErrorHeader {
  std::uint8_t type;
  std::uint8_t code;
  std::uint32_t rest;
  friend bool operator==(const IcmpErrorHeader&, const IcmpErrorHeader&) = default;
};

bool is_icmp4_error(std::uint8_t type);
bool is_icmp6_error(std::uint8_t type);

// ICMPv4 error -> ICMPv6 error; nullopt where RFC 7915 says "silently drop".
// `inner_total_length` is the Total Length of the embedded IPv4 header (for
// the RFC 1191 plateau when a router reported MTU 0); `ipv6_mtu` is the MTU
// of our IPv6 side (the TUN device).
std::optional<IcmpErrorHeader> map_icmp4_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                                               std::uint16_t inner_total_length, std::uint32_t ipv6_mtu);
// ICMPv6 error -> ICMPv4 error; `ipv4_mtu` is the MTU of our IPv4 side.
std::optional<IcmpErrorHeader> map_icmp6_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                                               std::uint32_t ipv4_mtu);

// RFC 7915 4.2: PTB MTU = min(advertised + 20, IPv6 next-hop MTU), with the
// greatest RFC 1191 plateau below the original length when the router
// advertised 0, and never below 1280 (RFC 8201: hosts ignore smaller; the
// translator instead clears DF for packets <= 1260 so they get fragmented).
std::uint32_t ptb_mtu_for_frag_needed(std::uint16_t advertised, std::uint16_t inner_total_length,
                                      std::uint32_t ipv6_mtu);
// RFC 7915 5.2: Fragmentation Needed MTU = min(advertised - 20, IPv4
// next-hop MTU, IPv6 next-hop MTU - 20), clamped to 68..65535.
std::uint16_t frag_needed_mtu_for_ptb(std::uint32_t advertised, std::uint32_t ipv4_mtu);

}  // namespace gn::nat64
