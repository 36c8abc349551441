#include "nat64/icmp_map.hpp"

#include <algorithm>
#include <array>

namespace gn::nat64 {

bool is_icmp4_error(std::uint8_t type) {
  return type == kIcmp4DestUnreachable || type == kIcmp4TimeExceeded || type == kIcmp4ParamProblem ||
         type == 4 /* source quench */ || type == 5 /* redirect */;
}

bool is_icmp6_error(std::uint8_t type) { return type < 128; }

std::uint32_t ptb_mtu_for_frag_needed(std::uint16_t advertised, std::uint16_t inner_total_length,
                                      std::uint32_t ipv6_mtu) {
  std::uint32_t v4_mtu = advertised;
  if (v4_mtu == 0) {
    // RFC 1191 section 7 plateaus; a pre-RFC 1191 router says 0.
    static constexpr std::array<std::uint16_t, 11> kPlateaus = {65535, 32000, 17914, 8166, 4352, 2002,
                                                                1492,  1006,  508,   296,  68};
    v4_mtu = kIpv4MinMtu;
    for (std::uint16_t p : kPlateaus) {
      if (p < inner_total_length) {
        v4_mtu = p;
        break;
      }
    }
  }
  std::uint32_t mtu = std::min(v4_mtu + 20, ipv6_mtu);
  return std::max(mtu, kIpv6MinMtu);
}

std::uint16_t frag_needed_mtu_for_ptb(std::uint32_t advertised, std::uint32_t ipv4_mtu) {
  std::uint32_t adv = advertised < 20 ? 0 : advertised - 20;
  std::uint32_t own = ipv4_mtu < 20 ? 0 : ipv4_mtu - 20;  // our IPv6 next hop is the same device
  std::uint32_t mtu = std::min({adv, ipv4_mtu, own});
  return static_cast<std::uint16_t>(std::clamp<std::uint32_t>(mtu, kIpv4MinMtu, 65535));
}

namespace {

// RFC 7915 4.2, Figure 3: IPv4 header offset -> IPv6 header offset.
std::optional<std::uint8_t> pointer_4to6(std::uint8_t p) {
  if (p == 0 || p == 1) return p;                   // version/IHL, TOS -> version/traffic class
  if (p == 2 || p == 3) return 4;                   // total length -> payload length
  if (p == 8) return 7;                             // TTL -> hop limit
  if (p == 9) return 6;                             // protocol -> next header
  if (p >= 12 && p <= 15) return 8;                 // source address
  if (p >= 16 && p <= 19) return 24;                // destination address
  return std::nullopt;                              // id, flags, checksum: no counterpart
}

// RFC 7915 5.2, Figure 6: IPv6 header offset -> IPv4 header offset.
std::optional<std::uint8_t> pointer_6to4(std::uint32_t p) {
  if (p == 0) return 0;
  if (p == 1) return 1;
  if (p == 4 || p == 5) return 2;
  if (p == 6) return 9;
  if (p == 7) return 8;
  if (p >= 8 && p <= 23) return 12;
  if (p >= 24 && p <= 39) return 16;
  return std::nullopt;
}

}  // namespace

std::optional<IcmpErrorHeader> map_icmp4_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                                               std::uint16_t inner_total_length, std::uint32_t ipv6_mtu) {
  switch (type) {
    case kIcmp4DestUnreachable:
      switch (code) {
        case 0: case 1: case 5: case 6: case 7: case 8: case 11: case 12:
          return IcmpErrorHeader{kIcmp6DestUnreachable, 0, 0};  // no route
        case 2:  // protocol unreachable -> parameter problem at Next Header
          return IcmpErrorHeader{kIcmp6ParamProblem, 1, 6};
        case 3:
          return IcmpErrorHeader{kIcmp6DestUnreachable, 4, 0};  // port unreachable
        case kIcmp4FragNeededCode:
          return IcmpErrorHeader{kIcmp6PacketTooBig, 0,
                                 ptb_mtu_for_frag_needed(static_cast<std::uint16_t>(rest & 0xffff),
                                                         inner_total_length, ipv6_mtu)};
        case 9: case 10: case 13: case 15:
          return IcmpErrorHeader{kIcmp6DestUnreachable, 1, 0};  // administratively prohibited
        default:
          return std::nullopt;  // 14 (host precedence violation) and unknown codes
      }
    case kIcmp4TimeExceeded:
      if (code > 1) return std::nullopt;
      return IcmpErrorHeader{kIcmp6TimeExceeded, code, 0};
    case kIcmp4ParamProblem: {
      if (code != 0 && code != 2) return std::nullopt;
      auto ptr = pointer_4to6(static_cast<std::uint8_t>(rest >> 24));
      if (!ptr) return std::nullopt;
      return IcmpErrorHeader{kIcmp6ParamProblem, 0, *ptr};
    }
    default:
      return std::nullopt;  // source quench, redirect, router advertisements, ...
  }
}

std::optional<IcmpErrorHeader> map_icmp6_error(std::uint8_t type, std::uint8_t code, std::uint32_t rest,
                                               std::uint32_t ipv4_mtu) {
  switch (type) {
    case kIcmp6DestUnreachable:
      switch (code) {
        case 0: case 2: case 3: return IcmpErrorHeader{kIcmp4DestUnreachable, 1, 0};  // host unreachable
        case 1: return IcmpErrorHeader{kIcmp4DestUnreachable, 10, 0};  // communication prohibited
        case 4: return IcmpErrorHeader{kIcmp4DestUnreachable, 3, 0};   // port unreachable
        default: return std::nullopt;
      }
    case kIcmp6PacketTooBig:
      return IcmpErrorHeader{kIcmp4DestUnreachable, kIcmp4FragNeededCode, frag_needed_mtu_for_ptb(rest, ipv4_mtu)};
    case kIcmp6TimeExceeded:
      if (code > 1) return std::nullopt;
      return IcmpErrorHeader{kIcmp4TimeExceeded, code, 0};
    case kIcmp6ParamProblem:
      if (code == 1) return IcmpErrorHeader{kIcmp4DestUnreachable, 2, 0};  // unrecognised next header
      if (code == 0) {
        auto ptr = pointer_6to4(rest);
        if (!ptr) return std::nullopt;
        return IcmpErrorHeader{kIcmp4ParamProblem, 0, static_cast<std::uint32_t>(*ptr) << 24};
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

}  // namespace gn::nat64
