#include "dataplane/outer_packet.hpp"

#include <algorithm>

#include "net/checksum.hpp"
#include "util/bytes.hpp"

namespace gn::dataplane::outer {
namespace {

using net::kIpv4HeaderLen;
using net::kIpv6HeaderLen;
using net::kUdpHeaderLen;

constexpr std::uint16_t kIpv4DontFragment = 0x4000;
constexpr std::uint16_t kIpv4FragmentBits = 0x3fff;  // MF and the offset

template <std::size_t N>
std::array<std::uint8_t, N> bytes_at(const std::uint8_t* p) {
  std::array<std::uint8_t, N> b;
  std::copy_n(p, N, b.begin());
  return b;
}

}  // namespace

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::kOk: return "ok";
    case ParseError::kTruncated: return "truncated";
    case ParseError::kNotUdp: return "not UDP";
    case ParseError::kBadChecksum: return "bad UDP checksum";
  }
  return "?";
}

ParseError parse_udp(std::span<const std::uint8_t> p, Datagram& out, ChecksumPolicy policy) {
  if (p.empty()) return ParseError::kTruncated;
  const std::uint8_t version = p[0] >> 4;
  std::span<const std::uint8_t> udp;
  std::uint64_t pseudo = 0;
  if (version == 4) {
    if (p.size() < kIpv4HeaderLen) return ParseError::kTruncated;
    const std::size_t ihl = std::size_t{p[0] & 0x0fu} * 4;
    const std::size_t total = load16(p.data() + 2);
    if (ihl < kIpv4HeaderLen || total < ihl || total > p.size()) return ParseError::kTruncated;
    if (p[9] != net::kProtoUdp || (load16(p.data() + 6) & kIpv4FragmentBits) != 0) return ParseError::kNotUdp;
    udp = p.subspan(ihl, total - ihl);
    auto src = bytes_at<4>(p.data() + 12), dst = bytes_at<4>(p.data() + 16);
    out.from.address = net::IpAddress::v4(src);
    out.to.address = net::IpAddress::v4(dst);
    if (udp.size() >= kUdpHeaderLen) pseudo = checksum::pseudo_v4(src, dst, net::kProtoUdp, load16(udp.data() + 4));
  } else if (version == 6) {
    if (p.size() < kIpv6HeaderLen) return ParseError::kTruncated;
    const std::size_t payload = load16(p.data() + 4);
    if (kIpv6HeaderLen + payload > p.size()) return ParseError::kTruncated;
    if (p[6] != net::kProtoUdp) return ParseError::kNotUdp;
    udp = p.subspan(kIpv6HeaderLen, payload);
    auto src = bytes_at<16>(p.data() + 8), dst = bytes_at<16>(p.data() + 24);
    out.from.address = net::IpAddress::v6(src);
    out.to.address = net::IpAddress::v6(dst);
    if (udp.size() >= kUdpHeaderLen) pseudo = checksum::pseudo_v6(src, dst, net::kProtoUdp, load16(udp.data() + 4));
  } else {
    return ParseError::kNotUdp;
  }
  if (udp.size() < kUdpHeaderLen) return ParseError::kTruncated;
  const std::size_t length = load16(udp.data() + 4);
  if (length < kUdpHeaderLen || length > udp.size()) return ParseError::kTruncated;
  udp = udp.first(length);
  const std::uint16_t sum = load16(udp.data() + 6);
  out.checksum_partial = false;
  if (sum == 0) {
    if (version == 6) return ParseError::kBadChecksum;
  } else if (checksum::fold(checksum::sum_bytes(udp, pseudo)) != 0xffff) {
    // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum, the
    // rest is left to a device that never ran (udp_set_csum(), udp6_set_csum()).
    if (policy != ChecksumPolicy::kVerifyOrPartial || sum != checksum::fold(pseudo)) return ParseError::kBadChecksum;
    out.checksum_partial = true;
  }
  out.from.port = load16(udp.data());
  out.to.port = load16(udp.data() + 2);
  out.payload = udp.subspan(kUdpHeaderLen);
  return ParseError::kOk;
}

std::size_t build_udp_headers(const net::Endpoint& from, const net::Endpoint& to, std::uint8_t ttl,
                              std::span<const std::uint8_t> header, std::span<const std::uint8_t> frame,
                              std::span<std::uint8_t, kMaxHeadersLen> out) {
  const std::size_t udp_len = kUdpHeaderLen + header.size() + frame.size();
  std::uint8_t* o = out.data();
  std::size_t ip_len = 0;
  std::uint64_t pseudo = 0;
  if (from.address.is_v4()) {
    ip_len = kIpv4HeaderLen;
    std::fill_n(o, ip_len, 0);
    o[0] = 0x45;
    store16(o + 2, static_cast<std::uint16_t>(ip_len + udp_len));
    store16(o + 6, kIpv4DontFragment);
    o[8] = ttl;
    o[9] = net::kProtoUdp;
    const auto src = from.address.v4_bytes(), dst = to.address.v4_bytes();
    std::copy(src.begin(), src.end(), o + 12);
    std::copy(dst.begin(), dst.end(), o + 16);
    store16(o + 10, checksum::finish(checksum::sum_bytes({o, ip_len})));
    pseudo = checksum::pseudo_v4(src, dst, net::kProtoUdp, static_cast<std::uint32_t>(udp_len));
  } else {
    ip_len = kIpv6HeaderLen;
    std::fill_n(o, ip_len, 0);
    o[0] = 0x60;
    store16(o + 4, static_cast<std::uint16_t>(udp_len));
    o[6] = net::kProtoUdp;
    o[7] = ttl;
    std::copy(from.address.bytes().begin(), from.address.bytes().end(), o + 8);
    std::copy(to.address.bytes().begin(), to.address.bytes().end(), o + 24);
    pseudo = checksum::pseudo_v6(from.address.bytes(), to.address.bytes(), net::kProtoUdp,
                                 static_cast<std::uint32_t>(udp_len));
  }
  std::uint8_t* u = o + ip_len;
  store16(u, from.port);
  store16(u + 2, to.port);
  store16(u + 4, static_cast<std::uint16_t>(udp_len));
  store16(u + 6, 0);
  std::uint64_t acc = checksum::sum_bytes({u, kUdpHeaderLen}, pseudo);
  acc = checksum::sum_bytes(header, acc);
  acc = checksum::sum_bytes(frame, acc);
  store16(u + 6, checksum::udp_wire_checksum(checksum::finish(acc)));
  return ip_len + kUdpHeaderLen;
}

}  // namespace gn::dataplane::outer
