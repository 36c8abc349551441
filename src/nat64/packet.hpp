#pragma once
// IPv4 and IPv6 header parsing for the translator. Every length field is
// checked against the bytes really present before it is used.
#include <array>
#include <cstdint>
#include <span>

#include "net/protocol.hpp"

namespace gn::nat64 {

using Bytes4 = std::array<std::uint8_t, 4>;
using Bytes16 = std::array<std::uint8_t, 16>;

// The translator's vocabulary, defined once in net/protocol.hpp.
using net::kFragmentHeaderLen;
using net::kIcmpHeaderLen;
using net::kIpv4HeaderLen;
using net::kIpv6HeaderLen;
using net::kProtoIcmp;
using net::kProtoIcmp6;
using net::kProtoTcp;
using net::kProtoUdp;
using net::kTcpHeaderLen;
using net::kUdpHeaderLen;

enum class ParseStatus { kOk, kMalformed, kBadChecksum };

// Whether the packet is complete (read from the TUN device) or embedded in
// an ICMP error, where the data after the header may be cut short.
enum class Completeness { kComplete, kEmbedded };

struct Ipv4Header {
  std::span<const std::uint8_t> header;   // including options
  std::span<const std::uint8_t> payload;  // up to Total Length (or what is there, if embedded)
  std::uint16_t total_length;
  std::uint8_t tos;
  std::uint8_t ttl;
  std::uint8_t proto;
  bool df;
  bool more_fragments;
  std::uint16_t fragment_offset;  // in 8-byte units
  Bytes4 src;
  Bytes4 dst;
  bool is_fragment() const { return more_fragments || fragment_offset != 0; }
};

struct Ipv6Header {
  std::span<const std::uint8_t> payload;  // the upper-layer packet, extension headers skipped
  std::uint32_t upper_length;             // its length per the header (> payload.size() if cut short)
  std::uint8_t traffic_class;
  std::uint8_t hop_limit;
  std::uint8_t next_header;  // the upper-layer protocol
  bool fragment;             // a Fragment header was present
  bool routing;              // a routing header with segments left > 0
  Bytes16 src;
  Bytes16 dst;
};

// A complete packet: Total Length must fit the buffer (trailing bytes, such
// as link padding, are ignored) and the header checksum must be right.
ParseStatus parse_ipv4(std::span<const std::uint8_t> in, Completeness mode, Ipv4Header& h);
// Hop-by-hop, destination options and routing headers are skipped (RFC 7915
// 5.1 translates without them); parsing stops at a Fragment header or at
// the first other next-header value.
ParseStatus parse_ipv6(std::span<const std::uint8_t> in, Completeness mode, Ipv6Header& h);

}  // namespace gn::nat64
