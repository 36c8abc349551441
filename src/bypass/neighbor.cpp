#include "bypass/neighbor.hpp"

#include <algorithm>

#include "net/checksum.hpp"
#include "net/protocol.hpp"
#include "util/bytes.hpp"

namespace gn::bypass {
namespace {

constexpr std::size_t kEth = net::kEthernetHeaderLen;
constexpr std::size_t kIp6 = net::kIpv6HeaderLen;
constexpr std::size_t kNdBody = 24;          // type, code, checksum, flags/reserved, target
constexpr std::size_t kLinkLayerOption = 8;  // type, length 1, MAC
constexpr std::uint8_t kOptSourceLinkLayer = 1;
constexpr std::uint8_t kOptTargetLinkLayer = 2;
constexpr std::uint8_t kNdHopLimit = 255;

bool is_multicast(const Ipv6& a) {
  return a[0] == 0xff;
}

template <std::size_t N>
std::array<std::uint8_t, N> take(const std::uint8_t* p) {
  std::array<std::uint8_t, N> a{};
  std::copy(p, p + N, a.begin());
  return a;
}

std::uint16_t icmp6_checksum(const Ipv6& src, const Ipv6& dst, std::span<const std::uint8_t> icmp) {
  return checksum::finish(checksum::sum_bytes(
      icmp, checksum::pseudo_v6(src, dst, net::kProtoIcmp6, static_cast<std::uint32_t>(icmp.size()))));
}

}  // namespace

std::string_view to_string(NeighborError e) {
  switch (e) {
    case NeighborError::kOk: return "ok";
    case NeighborError::kTruncated: return "truncated";
    case NeighborError::kNotIpv6: return "not IPv6";
    case NeighborError::kNotIcmp6: return "not ICMPv6";
    case NeighborError::kHopLimit: return "hop limit not 255";
    case NeighborError::kBadChecksum: return "bad ICMPv6 checksum";
    case NeighborError::kWrongType: return "wrong ICMPv6 type";
    case NeighborError::kBadCode: return "code not 0";
    case NeighborError::kBadOption: return "malformed option";
    case NeighborError::kBadAddress: return "addresses do not fit the message";
  }
  return "?";
}

std::vector<std::uint8_t> build_neighbor(const NeighborMessage& m) {
  const std::size_t icmp_len = kNdBody + (m.link_layer ? kLinkLayerOption : 0);
  std::vector<std::uint8_t> f(kEth + kIp6 + icmp_len, 0);
  std::uint8_t* p = f.data();
  std::copy(m.eth_dst.begin(), m.eth_dst.end(), p);
  std::copy(m.eth_src.begin(), m.eth_src.end(), p + 6);
  store16(p + 12, net::kEtherTypeIpv6);
  std::uint8_t* ip = p + kEth;
  ip[0] = 0x60;
  store16(ip + 4, static_cast<std::uint16_t>(icmp_len));
  ip[6] = net::kProtoIcmp6;
  ip[7] = kNdHopLimit;
  std::copy(m.src.begin(), m.src.end(), ip + 8);
  std::copy(m.dst.begin(), m.dst.end(), ip + 24);
  std::uint8_t* icmp = ip + kIp6;
  icmp[0] = m.type;
  store32(icmp + 4, m.type == net::kIcmp6NeighborAdvertisement ? m.flags : 0);
  std::copy(m.target.begin(), m.target.end(), icmp + 8);
  if (m.link_layer) {
    icmp[24] = m.type == net::kIcmp6NeighborSolicitation ? kOptSourceLinkLayer : kOptTargetLinkLayer;
    icmp[25] = 1;
    std::copy(m.link_layer->begin(), m.link_layer->end(), icmp + 26);
  }
  store16(icmp + 2, icmp6_checksum(m.src, m.dst, {icmp, icmp_len}));
  return f;
}

NeighborError parse_neighbor(std::span<const std::uint8_t> frame, std::uint8_t type, NeighborMessage& out) {
  if (frame.size() < kEth + kIp6) return NeighborError::kTruncated;
  const std::uint8_t* p = frame.data();
  if (load16(p + 12) != net::kEtherTypeIpv6) return NeighborError::kNotIpv6;
  const std::uint8_t* ip = p + kEth;
  if ((ip[0] >> 4) != 6) return NeighborError::kNotIpv6;
  const std::size_t payload_len = load16(ip + 4);
  if (payload_len > frame.size() - kEth - kIp6) return NeighborError::kTruncated;
  if (ip[6] != net::kProtoIcmp6) return NeighborError::kNotIcmp6;
  if (payload_len < kNdBody) return NeighborError::kTruncated;
  if (ip[7] != kNdHopLimit) return NeighborError::kHopLimit;
  out = NeighborMessage{};
  out.eth_dst = take<6>(p);
  out.eth_src = take<6>(p + 6);
  out.src = take<16>(ip + 8);
  out.dst = take<16>(ip + 24);
  const std::span<const std::uint8_t> icmp{ip + kIp6, payload_len};
  if (icmp6_checksum(out.src, out.dst, icmp) != 0) return NeighborError::kBadChecksum;
  if (icmp[0] != type) return NeighborError::kWrongType;
  if (icmp[1] != 0) return NeighborError::kBadCode;
  out.type = type;
  out.flags = type == net::kIcmp6NeighborAdvertisement ? load32(icmp.data() + 4) : 0;
  out.target = take<16>(icmp.data() + 8);
  const std::uint8_t wanted = type == net::kIcmp6NeighborSolicitation ? kOptSourceLinkLayer : kOptTargetLinkLayer;
  for (std::size_t off = kNdBody; off < icmp.size();) {
    if (icmp.size() - off < 2) return NeighborError::kBadOption;
    const std::size_t len = std::size_t{icmp[off + 1]} * 8;
    if (len == 0 || len > icmp.size() - off) return NeighborError::kBadOption;
    // The first link-layer option counts; an Ethernet address is 6 bytes.
    if (icmp[off] == wanted && !out.link_layer && len >= kLinkLayerOption)
      out.link_layer = take<6>(icmp.data() + off + 2);
    off += len;
  }
  return NeighborError::kOk;
}

NeighborMessage offer_solicitation(const Mac& gateway_mac, const Ipv6& target) {
  NeighborMessage m;
  m.type = net::kIcmp6NeighborSolicitation;
  m.dst = solicited_node(target);
  m.eth_dst = multicast_mac(m.dst);
  m.eth_src = gateway_mac;
  m.src = link_local_for(gateway_mac);
  m.target = target;
  m.link_layer = gateway_mac;
  return m;
}

NeighborError parse_offer(std::span<const std::uint8_t> frame, NeighborMessage& out) {
  const NeighborError e = parse_neighbor(frame, net::kIcmp6NeighborSolicitation, out);
  if (e != NeighborError::kOk) return e;
  if (!out.link_layer || *out.link_layer != out.eth_src) return NeighborError::kBadOption;
  if (is_multicast(out.target) || out.dst != solicited_node(out.target) || out.eth_dst != multicast_mac(out.dst))
    return NeighborError::kBadAddress;
  return NeighborError::kOk;
}

NeighborMessage acceptance(const NeighborMessage& offer, const Mac& server_mac) {
  NeighborMessage m;
  m.type = net::kIcmp6NeighborAdvertisement;
  m.eth_dst = offer.eth_src;
  m.eth_src = server_mac;
  m.src = offer.target;
  m.dst = offer.src;
  m.flags = kFlagSolicited | kFlagOverride;
  m.target = offer.target;
  m.link_layer = server_mac;
  return m;
}

NeighborMessage keepalive(const Mac& gateway_mac, const Mac& server_mac, const Ipv6& address, bool leave) {
  NeighborMessage m;
  m.type = net::kIcmp6NeighborAdvertisement;
  m.eth_dst = gateway_mac;
  m.eth_src = server_mac;
  m.src = address;
  m.dst = Ipv6{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  m.flags = kFlagOverride;
  m.target = address;
  if (!leave) m.link_layer = server_mac;
  return m;
}

NeighborError parse_advertisement(std::span<const std::uint8_t> frame, NeighborMessage& out) {
  const NeighborError e = parse_neighbor(frame, net::kIcmp6NeighborAdvertisement, out);
  if (e != NeighborError::kOk) return e;
  if (is_multicast(out.target) || out.src != out.target) return NeighborError::kBadAddress;
  // RFC 4861 7.1.2: a multicast destination means unsolicited.
  if (is_multicast(out.dst) && (out.flags & kFlagSolicited) != 0) return NeighborError::kBadAddress;
  return NeighborError::kOk;
}

}  // namespace gn::bypass
