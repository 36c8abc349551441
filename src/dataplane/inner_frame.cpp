#include "dataplane/inner_frame.hpp"

#include <algorithm>
#include <array>

#include "net/protocol.hpp"
#include "util/bytes.hpp"

namespace gn::dataplane::inner {
namespace {

using net::kEthernetHeaderLen;
using net::kIpv4HeaderLen;
using net::kIpv6HeaderLen;

constexpr std::size_t kEtherTypeOffset = 12;
// Offsets in the IP headers.
constexpr std::size_t kIpv6NextHeader = 6, kIpv6Source = 8, kIpv6Destination = 24;
constexpr std::size_t kIpv4Source = 12, kIpv4Destination = 16;
// ICMPv6 neighbour solicitation: type, code, checksum, reserved, target.
constexpr std::size_t kNsTargetOffset = 8;
constexpr std::size_t kNsLen = kNsTargetOffset + 16;

net::IpAddress v6_at(std::span<const std::uint8_t> f, std::size_t off) {
  std::array<std::uint8_t, 16> b;
  std::copy_n(f.begin() + static_cast<std::ptrdiff_t>(off), 16, b.begin());
  return net::IpAddress::v6(b);
}

net::IpAddress v4_at(std::span<const std::uint8_t> f, std::size_t off) {
  return net::IpAddress::v4({f[off], f[off + 1], f[off + 2], f[off + 3]});
}

// An ARP packet for IPv4 over Ethernet, with the whole body present.
bool is_ipv4_arp(std::span<const std::uint8_t> f) {
  if (f.size() < kEthernetHeaderLen + net::kArpIpv4Len) return false;
  const std::uint8_t* a = f.data() + kEthernetHeaderLen;
  return load16(a) == 1 && load16(a + 2) == net::kEtherTypeIpv4 && a[4] == 6 && a[5] == 4;
}

bool is_link_local_or_unspecified(const net::IpAddress& a) {
  const auto& b = a.bytes();
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return true;
  return std::all_of(b.begin(), b.end(), [](std::uint8_t x) { return x == 0; });
}

// Neighbour discovery and MLD: what a host sends from a link-local or the
// unspecified address while it has no other (RFC 4861, 4862 DAD, 3810).
bool is_nd_or_mld(std::uint8_t type) {
  switch (type) {
    case net::kIcmp6MldQuery:
    case net::kIcmp6MldReport:
    case net::kIcmp6MldDone:
    case net::kIcmp6RouterSolicitation:
    case net::kIcmp6RouterAdvertisement:
    case net::kIcmp6NeighborSolicitation:
    case net::kIcmp6NeighborAdvertisement:
    case net::kIcmp6Redirect:
    case net::kIcmp6Mld2Report: return true;
    default: return false;
  }
}

// The ICMPv6 type of an IPv6 packet at `ip`, behind at most one hop-by-hop
// header (MLD carries a router alert), or nullopt.
std::optional<std::uint8_t> icmp6_type(std::span<const std::uint8_t> f, std::size_t ip) {
  std::uint8_t next = f[ip + kIpv6NextHeader];
  std::size_t off = ip + kIpv6HeaderLen;
  if (next == net::kProtoHopByHop) {
    if (f.size() < off + 2) return std::nullopt;
    next = f[off];
    off += (std::size_t{f[off + 1]} + 1) * 8;
  }
  if (next != net::kProtoIcmp6 || f.size() < off + 1) return std::nullopt;
  return f[off];
}

}  // namespace

std::optional<net::IpAddress> route_address(std::span<const std::uint8_t> f) {
  if (f.size() < kEthernetHeaderLen) return std::nullopt;
  const std::size_t ip = kEthernetHeaderLen;
  switch (load16(f.data() + kEtherTypeOffset)) {
    case net::kEtherTypeIpv6: {
      if (f.size() < ip + kIpv6HeaderLen || (f[ip] >> 4) != 6) return std::nullopt;
      if (f[ip + kIpv6Destination] != 0xff) return v6_at(f, ip + kIpv6Destination);
      // Multicast: only a neighbour solicitation has one owner, the
      // target's (its solicited-node group is the target's too).
      const std::size_t icmp = ip + kIpv6HeaderLen;
      if (f[ip + kIpv6NextHeader] != net::kProtoIcmp6 || f.size() < icmp + kNsLen ||
          f[icmp] != net::kIcmp6NeighborSolicitation || f[icmp + kNsTargetOffset] == 0xff)
        return std::nullopt;
      return v6_at(f, icmp + kNsTargetOffset);
    }
    case net::kEtherTypeIpv4: {
      if (f.size() < ip + kIpv4HeaderLen || (f[ip] >> 4) != 4) return std::nullopt;
      // 224/4 multicast and 240/4 (with the limited broadcast): no owner.
      if (f[ip + kIpv4Destination] >= 224) return std::nullopt;
      return v4_at(f, ip + kIpv4Destination);
    }
    case net::kEtherTypeArp:
      // A multicast or reserved target (found by fuzz_inner_frame) is no
      // one's, as for IPv4.
      if (!is_ipv4_arp(f) || f[ip + net::kArpTargetIpOffset] >= 224) return std::nullopt;
      return v4_at(f, ip + net::kArpTargetIpOffset);
    default: return std::nullopt;
  }
}

Source source_of(std::span<const std::uint8_t> f) {
  if (f.size() < kEthernetHeaderLen) return {};
  const std::size_t ip = kEthernetHeaderLen;
  switch (load16(f.data() + kEtherTypeOffset)) {
    case net::kEtherTypeIpv6: {
      if (f.size() < ip + kIpv6HeaderLen || (f[ip] >> 4) != 6) return {};
      auto src = v6_at(f, ip + kIpv6Source);
      if (src.bytes()[0] == 0xff) return {};
      if (!is_link_local_or_unspecified(src)) return {Source::Kind::kAddress, src};
      auto type = icmp6_type(f, ip);
      if (type && is_nd_or_mld(*type)) return {Source::Kind::kExempt, src};
      return {};
    }
    case net::kEtherTypeIpv4: {
      if (f.size() < ip + kIpv4HeaderLen || (f[ip] >> 4) != 4) return {};
      auto src = v4_at(f, ip + kIpv4Source);
      if (src == net::IpAddress::v4({0, 0, 0, 0}) || f[ip + kIpv4Source] >= 224) return {};
      return {Source::Kind::kAddress, src};
    }
    case net::kEtherTypeArp: {
      if (!is_ipv4_arp(f) || f[ip + net::kArpSenderIpOffset] >= 224) return {};
      auto sender = v4_at(f, ip + net::kArpSenderIpOffset);
      // An ARP probe (RFC 5227) asks from 0.0.0.0 whether an address is free.
      if (sender == net::IpAddress::v4({0, 0, 0, 0})) return {Source::Kind::kExempt, sender};
      return {Source::Kind::kAddress, sender};
    }
    default: return {};
  }
}

}  // namespace gn::dataplane::inner
