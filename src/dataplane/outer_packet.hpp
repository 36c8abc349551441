#pragma once
// The outer IP + UDP headers of a GENEVE datagram, for the control channel
// beside a kernel GENEVE device (dataplane/underlay_control.hpp): while the
// kernel owns the GENEVE port, control messages are captured below UDP (a
// packet socket hands over the IP packet) and sent above IP (a raw socket
// takes the IP packet we build). Pure; parse is fuzzed
// (tests/fuzz/fuzz_outer_packet.cpp) and never trusts a length.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "net/address.hpp"
#include "net/protocol.hpp"

namespace gn::dataplane::outer {

struct Datagram {
  net::Endpoint from, to;
  std::span<const std::uint8_t> payload;  // the UDP payload, inside the packet
  bool checksum_partial = false;          // accepted as a CHECKSUM_PARTIAL packet (kVerifyOrPartial)
};

enum class ParseError : std::uint8_t {
  kOk,
  kTruncated,    // shorter than its headers or than its own length fields say
  kNotUdp,       // another protocol, IPv6 extension headers, an IPv4 fragment
  kBadChecksum,  // wrong UDP checksum (or zero over IPv6)
};
const char* to_string(ParseError e);

// What a UDP checksum must be. kVerify: correct. kVerifyOrPartial: correct,
// or the pseudo-header sum alone, as Linux leaves it on a CHECKSUM_PARTIAL
// packet (one sent from another namespace of this host over veth, with
// transmit offload on): a copy taken before UDP (NFLOG) sees those bytes,
// which the kernel's UDP accepts. Integrity then rests on the control
// message's MAC.
enum class ChecksumPolicy : std::uint8_t { kVerify, kVerifyOrPartial };

// An IPv4 or IPv6 packet, from its IP header, carrying one whole UDP
// datagram. Bytes past the IP packet's own length (link padding) are
// ignored. An IPv4 datagram without checksum (0) is accepted, as RFC 768
// allows; over IPv6 the checksum is mandatory.
ParseError parse_udp(std::span<const std::uint8_t> packet, Datagram& out,
                     ChecksumPolicy policy = ChecksumPolicy::kVerify);

// The largest IP + UDP header build_udp_headers writes.
inline constexpr std::size_t kMaxHeadersLen = net::kIpv6HeaderLen + net::kUdpHeaderLen;

// Writes the IP and UDP headers for a datagram from `from` to `to` (one
// family) whose payload is `header` then `frame`, into `out`; returns their
// length. IPv4: DF set, identification 0 (the kernel picks one for a raw
// socket), header checksum computed. The UDP checksum is always computed
// (docs/protocol.md 1). `header` must have an even length.
std::size_t build_udp_headers(const net::Endpoint& from, const net::Endpoint& to, std::uint8_t ttl,
                              std::span<const std::uint8_t> header, std::span<const std::uint8_t> frame,
                              std::span<std::uint8_t, kMaxHeadersLen> out);

}  // namespace gn::dataplane::outer
