#pragma once
// GENEVE (RFC 8926) header and option codec. Parsing returns views into the
// caller's buffer (no copies) and never reads a byte the datagram does not
// have: every length field is checked against what is really there. The wire
// format is specified in docs/protocol.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "util/bytes.hpp"

namespace gn::geneve {

inline constexpr std::uint16_t kDefaultPort = 6081;
// Transparent Ethernet bridging: what Linux kernel GENEVE sends and accepts.
inline constexpr std::uint16_t kProtoEthernet = 0x6558;
inline constexpr std::size_t kBaseHeaderLen = 8;
// Opt Len is 6 bits of 4-byte words.
inline constexpr std::size_t kMaxOptionsLen = 63 * 4;
inline constexpr std::size_t kMaxHeaderLen = kBaseHeaderLen + kMaxOptionsLen;
inline constexpr std::size_t kOptionHeaderLen = 4;
inline constexpr std::uint32_t kMaxVni = 0xffffff;
inline constexpr std::uint8_t kCriticalTypeBit = 0x80;

// Class and type that identify the NAT64 routing option. Configurable because
// operators may have to match another gateway's numbering.
struct OptionId {
  std::uint16_t option_class = 0x0162;
  std::uint8_t type = 0x01;
  friend bool operator==(const OptionId&, const OptionId&) = default;
};

// The NAT64 routing option's payload: the IPv6 endpoint an extension-capable
// NAT64 delivers an unsolicited packet to.
struct Nat64Route {
  std::array<std::uint8_t, 16> address{};
  std::uint16_t port = kDefaultPort;
  friend bool operator==(const Nat64Route&, const Nat64Route&) = default;
};
// Option data: 16 address + 2 port + 2 padding octets (0xff) = 5 words.
inline constexpr std::size_t kRouteDataLen = 20;
inline constexpr std::size_t kRouteOptionLen = kOptionHeaderLen + kRouteDataLen;

enum class ParseError : std::uint8_t {
  kOk = 0,
  kTruncated,         // shorter than the 8-byte base header
  kBadVersion,        // version is not 0
  kOptionsTruncated,  // Opt Len points past the end of the datagram
  kOptionOverrun,     // an option's length runs past the options area
  kUnknownCritical,   // an option we do not understand has the critical bit
};
std::string_view to_string(ParseError e);

enum class RouteState : std::uint8_t {
  kAbsent,
  kPresent,
  kMalformed,  // shorter than 5 words
  kDuplicate,  // more than one routing option: ambiguous, never acted on
};
std::string_view to_string(RouteState s);

struct OptionView {
  std::uint16_t option_class;
  std::uint8_t type;
  std::span<const std::uint8_t> data;  // length is a multiple of 4
  bool critical() const { return (type & kCriticalTypeBit) != 0; }
};

// A parsed datagram. Spans point into the parsed buffer.
struct Packet {
  std::uint8_t version = 0;
  bool oam = false;
  bool critical_flag = false;  // the header's C bit
  std::uint16_t protocol = 0;
  std::uint32_t vni = 0;
  std::span<const std::uint8_t> options;
  std::span<const std::uint8_t> payload;
  RouteState route_state = RouteState::kAbsent;
  Nat64Route route;
};

// Parses a GENEVE datagram (the UDP payload). Known options are the NAT64
// routing option identified by `route_id`; any other option with the critical
// bit set makes the packet undeliverable (RFC 8926 section 3.5.1), others are
// skipped.
ParseError parse(std::span<const std::uint8_t> datagram, const OptionId& route_id, Packet& out);

// Walks an options area, calling fn(OptionView) for each option. Returns
// kOptionOverrun if an option runs past the end; fn is called only for
// options that lie entirely inside the area.
template <typename Fn>
ParseError for_each_option(std::span<const std::uint8_t> options, Fn&& fn) {
  std::size_t off = 0;
  while (off < options.size()) {
    if (options.size() - off < kOptionHeaderLen) return ParseError::kOptionOverrun;
    const std::uint8_t* o = options.data() + off;
    std::size_t data_len = static_cast<std::size_t>(o[3] & 0x1f) * 4;
    if (options.size() - off - kOptionHeaderLen < data_len) return ParseError::kOptionOverrun;
    OptionView view{load16(o), o[2], options.subspan(off + kOptionHeaderLen, data_len)};
    fn(view);
    off += kOptionHeaderLen + data_len;
  }
  return ParseError::kOk;
}

// Decodes a routing option's data; nullopt if it is too short.
std::optional<Nat64Route> decode_route(std::span<const std::uint8_t> data);

// Builds a GENEVE header into a fixed buffer. A data plane builds the header
// for a peer once and sends it in front of every frame (scatter-gather), so
// per-packet cost is zero.
class HeaderBuilder {
 public:
  explicit HeaderBuilder(std::uint32_t vni, std::uint16_t protocol = kProtoEthernet);
  HeaderBuilder& oam(bool on);
  // Appends an option; data is padded with 0xff octets to a 4-byte multiple.
  // Throws std::length_error if the options area would exceed 252 bytes or
  // one option's data 124 bytes. A critical type sets the C bit.
  HeaderBuilder& add_option(std::uint16_t option_class, std::uint8_t type, std::span<const std::uint8_t> data);
  HeaderBuilder& add_route(const OptionId& id, const Nat64Route& route);

  std::span<const std::uint8_t> bytes() const { return {buf_.data(), len_}; }

 private:
  std::array<std::uint8_t, kMaxHeaderLen> buf_{};
  std::size_t len_ = kBaseHeaderLen;
};

}  // namespace gn::geneve
