#include "dataplane/offload.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "net/checksum.hpp"
#include "net/protocol.hpp"
#include "util/bytes.hpp"

namespace gn::dataplane::offload {

namespace cs = gn::checksum;

namespace {

using net::kEthernetHeaderLen;
using net::kEtherTypeIpv4;
using net::kEtherTypeIpv6;
using net::kIpv4HeaderLen;
using net::kIpv6HeaderLen;
using net::kProtoTcp;
using net::kProtoUdp;
using net::kTcpHeaderLen;
using net::kUdpHeaderLen;
constexpr std::uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpPsh = 0x08, kTcpAck = 0x10, kTcpUrg = 0x20,
                       kTcpEce = 0x40, kTcpCwr = 0x80;

// Where the headers of an IPv4/IPv6 TCP or UDP packet are, after checking
// that they lie inside the frame.
struct Layout {
  bool v6 = false;
  std::uint8_t proto = 0;
  std::size_t l4 = 0;      // offset of the TCP/UDP header
  std::size_t hlen = 0;    // offset of the L4 payload
  std::size_t ip_end = 0;  // end of the IP packet as its length field says (<= frame size)
};

// Parses Ethernet + IPv4 (no fragments) or IPv6 (no extension headers) + TCP
// or UDP. `length_fields` checks the IP length against the frame; a TSO
// super-frame's length fields are not relied on.
std::optional<Layout> parse_layout(std::span<const std::uint8_t> f, bool length_fields) {
  if (f.size() < kEthernetHeaderLen) return std::nullopt;
  Layout l;
  std::uint16_t ether = load16(f.data() + 12);
  const std::uint8_t* ip = f.data() + kEthernetHeaderLen;
  std::size_t ip_len = 0;
  if (ether == kEtherTypeIpv4) {
    if (f.size() < kEthernetHeaderLen + kIpv4HeaderLen || (ip[0] >> 4) != 4) return std::nullopt;
    std::size_t ihl = static_cast<std::size_t>(ip[0] & 0x0f) * 4;
    if (ihl < kIpv4HeaderLen || f.size() < kEthernetHeaderLen + ihl) return std::nullopt;
    if ((load16(ip + 6) & 0x3fff) != 0) return std::nullopt;  // MF or an offset: a fragment
    l.proto = ip[9];
    l.l4 = kEthernetHeaderLen + ihl;
    ip_len = load16(ip + 2);
  } else if (ether == kEtherTypeIpv6) {
    if (f.size() < kEthernetHeaderLen + kIpv6HeaderLen || (ip[0] >> 4) != 6) return std::nullopt;
    l.v6 = true;
    l.proto = ip[6];
    l.l4 = kEthernetHeaderLen + kIpv6HeaderLen;
    ip_len = kIpv6HeaderLen + static_cast<std::size_t>(load16(ip + 4));
  } else {
    return std::nullopt;
  }
  if (l.proto == kProtoTcp) {
    if (f.size() < l.l4 + kTcpHeaderLen) return std::nullopt;
    std::size_t thl = static_cast<std::size_t>(f[l.l4 + 12] >> 4) * 4;
    if (thl < kTcpHeaderLen || f.size() < l.l4 + thl) return std::nullopt;
    l.hlen = l.l4 + thl;
  } else if (l.proto == kProtoUdp) {
    if (f.size() < l.l4 + kUdpHeaderLen) return std::nullopt;
    l.hlen = l.l4 + kUdpHeaderLen;
  } else {
    return std::nullopt;
  }
  l.ip_end = f.size();
  if (length_fields) {
    if (kEthernetHeaderLen + ip_len > f.size() || kEthernetHeaderLen + ip_len < l.hlen) return std::nullopt;
    l.ip_end = kEthernetHeaderLen + ip_len;
  }
  return l;
}

std::uint64_t pseudo(std::span<const std::uint8_t> f, const Layout& l, std::size_t l4_len) {
  const std::uint8_t* ip = f.data() + kEthernetHeaderLen;
  if (l.v6) {
    std::array<std::uint8_t, 16> s, d;
    std::memcpy(s.data(), ip + 8, 16);
    std::memcpy(d.data(), ip + 24, 16);
    return cs::pseudo_v6(s, d, l.proto, static_cast<std::uint32_t>(l4_len));
  }
  std::array<std::uint8_t, 4> s, d;
  std::memcpy(s.data(), ip + 12, 4);
  std::memcpy(d.data(), ip + 16, 4);
  return cs::pseudo_v4(s, d, l.proto, static_cast<std::uint32_t>(l4_len));
}

void set_ipv4_checksum(std::uint8_t* ip, std::size_t ihl) {
  store16(ip + 10, 0);
  store16(ip + 10, cs::finish(cs::sum_bytes({ip, ihl})));
}

SegmentError plan_whole(const VnetHeader& vh, std::span<std::uint8_t> f, std::size_t prefix,
                        std::span<std::uint8_t> headers, SegmentPlan& r) {
  if (headers.size() < prefix) return SegmentError::kNoRoom;
  if (vh.flags & kFlagNeedsCsum) {
    std::size_t start = vh.csum_start, at = std::size_t{vh.csum_start} + vh.csum_offset;
    if (start >= f.size() || at + 2 > f.size()) return SegmentError::kBadVnet;
    // The field holds the pseudo-header sum; the rest is the data's (as the
    // kernel's skb_checksum_help completes it, zero sent as all ones).
    std::uint16_t c = cs::finish(cs::sum_bytes(f.subspan(start)));
    store16(f.data() + at, cs::udp_wire_checksum(c));
  }
  r = SegmentPlan{1, prefix, 0, f.size(), f.size()};
  return SegmentError::kOk;
}

}  // namespace

VnetHeader read_vnet(std::span<const std::uint8_t, kVnetHeaderLen> b) {
  VnetHeader h;
  h.flags = b[0];
  h.gso_type = b[1];
  std::memcpy(&h.hdr_len, b.data() + 2, 2);
  std::memcpy(&h.gso_size, b.data() + 4, 2);
  std::memcpy(&h.csum_start, b.data() + 6, 2);
  std::memcpy(&h.csum_offset, b.data() + 8, 2);
  return h;
}

void write_vnet(const VnetHeader& h, std::span<std::uint8_t, kVnetHeaderLen> b) {
  b[0] = h.flags;
  b[1] = h.gso_type;
  std::memcpy(b.data() + 2, &h.hdr_len, 2);
  std::memcpy(b.data() + 4, &h.gso_size, 2);
  std::memcpy(b.data() + 6, &h.csum_start, 2);
  std::memcpy(b.data() + 8, &h.csum_offset, 2);
}

std::string_view to_string(SegmentError e) {
  switch (e) {
    case SegmentError::kOk: return "ok";
    case SegmentError::kBadVnet: return "bad_vnet_header";
    case SegmentError::kBadPacket: return "bad_gso_packet";
    case SegmentError::kNoRoom: return "no_room";
    case SegmentError::kTooManySegments: return "too_many_segments";
  }
  return "unknown";
}

SegmentError plan_segments(const VnetHeader& vh, std::span<std::uint8_t> f, std::size_t prefix,
                           std::span<std::uint8_t> headers, std::size_t max_segments, SegmentPlan& plan) {
  plan = {};
  std::uint8_t gso = vh.gso_type & static_cast<std::uint8_t>(~kGsoEcn);
  if (gso == kGsoNone) return plan_whole(vh, f, prefix, headers, plan);
  if (gso != kGsoTcpV4 && gso != kGsoTcpV6 && gso != kGsoUdpL4) return SegmentError::kBadVnet;
  if (vh.gso_size == 0) return SegmentError::kBadVnet;
  auto lay = parse_layout(f, false);
  if (!lay) return SegmentError::kBadPacket;
  const Layout& l = *lay;
  bool tcp = gso != kGsoUdpL4;
  if ((tcp ? kProtoTcp : kProtoUdp) != l.proto) return SegmentError::kBadPacket;
  if ((gso == kGsoTcpV4 && l.v6) || (gso == kGsoTcpV6 && !l.v6)) return SegmentError::kBadPacket;

  const std::size_t mss = vh.gso_size;
  const std::size_t payload = f.size() - l.hlen;
  const std::size_t count = payload == 0 ? 1 : (payload + mss - 1) / mss;
  if (count > max_segments) return SegmentError::kTooManySegments;
  const std::size_t stride = prefix + l.hlen;
  if (stride * count > headers.size()) return SegmentError::kNoRoom;
  plan = SegmentPlan{count, stride, l.hlen, std::min(mss, payload), payload - (count - 1) * mss};

  const std::uint8_t* ip_in = f.data() + kEthernetHeaderLen;
  const std::uint16_t id0 = l.v6 ? 0 : load16(ip_in + 4);
  const std::uint32_t seq0 = tcp ? load32(f.data() + l.l4 + 4) : 0;
  const std::size_t ihl = l.l4 - kEthernetHeaderLen;
  const std::size_t l4_hdr = l.hlen - l.l4;
  for (std::size_t i = 0; i < count; ++i) {
    const bool last = i + 1 == count;
    const std::size_t seg_payload = plan.payload_size(i);
    std::uint8_t* s = headers.data() + i * stride + prefix;
    std::memcpy(s, f.data(), l.hlen);
    std::uint8_t* ip = s + kEthernetHeaderLen;
    const std::size_t l4_len = l4_hdr + seg_payload;
    if (l.v6) {
      store16(ip + 4, static_cast<std::uint16_t>(l4_len));
    } else {
      store16(ip + 2, static_cast<std::uint16_t>(ihl + l4_len));
      store16(ip + 4, static_cast<std::uint16_t>(id0 + i));
      set_ipv4_checksum(ip, ihl);
    }
    std::uint8_t* l4 = s + l.l4;
    // The L4 header is a whole number of 16-bit words (TCP: of 32-bit
    // words; UDP: 8 bytes), so its sum and the payload's simply add.
    const std::uint64_t data_sum = cs::sum_bytes(f.subspan(plan.payload_at(i), seg_payload));
    const std::uint64_t pseudo_sum = pseudo({s, l.hlen}, l, l4_len);
    if (tcp) {
      store32(l4 + 4, seq0 + static_cast<std::uint32_t>(i * mss));
      if (!last) l4[13] &= static_cast<std::uint8_t>(~(kTcpFin | kTcpPsh));
      if (i != 0) l4[13] &= static_cast<std::uint8_t>(~kTcpCwr);
      store16(l4 + 16, 0);
      store16(l4 + 16, cs::finish(cs::sum_bytes({l4, l4_hdr}, pseudo_sum + data_sum)));
    } else {
      store16(l4 + 4, static_cast<std::uint16_t>(l4_len));
      store16(l4 + 6, 0);
      store16(l4 + 6, cs::udp_wire_checksum(cs::finish(cs::sum_bytes({l4, l4_hdr}, pseudo_sum + data_sum))));
    }
  }
  return SegmentError::kOk;
}

bool l4_checksum_valid(std::span<const std::uint8_t> f) {
  auto lay = parse_layout(f, true);
  if (!lay) return false;
  const std::size_t l4_len = lay->ip_end - lay->l4;
  if (!lay->v6 && lay->proto == kProtoUdp && load16(f.data() + lay->l4 + 6) == 0) return false;
  return cs::fold(cs::sum_bytes(f.subspan(lay->l4, l4_len), pseudo(f, *lay, l4_len))) == 0xffff;
}

bool make_partial(std::span<std::uint8_t> f, VnetHeader& vh, std::size_t max_packet) {
  auto lay = parse_layout(f, true);
  if (!lay) return false;
  const std::size_t l4_len = lay->ip_end - lay->l4;
  const std::size_t field = lay->proto == kProtoTcp ? 16 : 6;
  store16(f.data() + lay->l4 + field, cs::fold(pseudo(f, *lay, l4_len)));
  vh.flags = kFlagNeedsCsum;
  vh.gso_type = kGsoNone;
  vh.hdr_len = static_cast<std::uint16_t>(lay->hlen);
  vh.csum_start = static_cast<std::uint16_t>(lay->l4);
  vh.csum_offset = static_cast<std::uint16_t>(field);
  if (lay->proto == kProtoTcp && lay->ip_end - kEthernetHeaderLen > max_packet &&
      max_packet > lay->hlen - kEthernetHeaderLen) {
    vh.gso_type = lay->v6 ? kGsoTcpV6 : kGsoTcpV4;
    vh.gso_size = static_cast<std::uint16_t>(max_packet - (lay->hlen - kEthernetHeaderLen));
  }
  return true;
}

// --- TCP coalescing -----------------------------------------------------------

bool TcpCoalescer::start(std::span<std::uint8_t> f, std::size_t max_packet) {
  if (f.size() > kMaxFrame || f.size() - kEthernetHeaderLen > max_packet) return false;
  auto lay = parse_layout(f, true);
  if (!lay || lay->proto != kProtoTcp || lay->ip_end != f.size()) return false;  // padded: a tiny frame
  const std::uint8_t* ip = f.data() + kEthernetHeaderLen;
  if (!lay->v6 && (lay->l4 != kEthernetHeaderLen + kIpv4HeaderLen || !(load16(ip + 6) & 0x4000)))
    return false;  // options, or no DF
  const std::uint8_t flags = f[lay->l4 + 13];
  if (!(flags & kTcpAck) || (flags & (kTcpSyn | kTcpFin | kTcpRst | kTcpUrg | kTcpCwr | kTcpEce))) return false;
  const std::size_t payload = f.size() - lay->hlen;
  if (payload == 0) return false;  // a pure ACK: nothing to merge
  pieces_[1] = {f.data(), f.size()};
  len_ = f.size();
  segments_ = 1;
  l4_ = lay->l4;
  hdr_len_ = lay->hlen;
  v6_ = lay->v6;
  gso_size_ = payload;
  closed_ = (flags & kTcpPsh) != 0;
  next_seq_ = load32(f.data() + l4_ + 4) + static_cast<std::uint32_t>(payload);
  next_id_ = v6_ ? 0 : static_cast<std::uint16_t>(load16(ip + 4) + 1);
  return true;
}

bool TcpCoalescer::add(std::span<std::uint8_t> f, std::size_t max_packet) {
  if (segments_ == 0) return start(f, max_packet);
  if (closed_ || segments_ >= kMaxSegments || f.size() <= hdr_len_) return false;
  const std::uint8_t* have = first();
  const std::uint8_t* ip = f.data() + kEthernetHeaderLen;
  const std::uint8_t* hip = have + kEthernetHeaderLen;
  const std::size_t payload = f.size() - hdr_len_;
  if (payload > gso_size_ || len_ + payload > kMaxFrame) return false;
  if (std::memcmp(f.data(), have, kEthernetHeaderLen) != 0) return false;
  if (v6_) {
    if (load16(f.data() + 12) != kEtherTypeIpv6 || std::memcmp(ip, hip, 4) != 0 ||
        std::memcmp(ip + 6, hip + 6, 34) != 0)
      return false;
    if (kIpv6HeaderLen + std::size_t{load16(ip + 4)} != f.size() - kEthernetHeaderLen) return false;
    if (len_ - kEthernetHeaderLen - kIpv6HeaderLen + payload > 65535) return false;
  } else {
    if (load16(f.data() + 12) != kEtherTypeIpv4 || std::memcmp(ip, hip, 2) != 0 ||
        std::memcmp(ip + 6, hip + 6, 4) != 0 || std::memcmp(ip + 12, hip + 12, 8) != 0)
      return false;
    if (load16(ip + 2) != f.size() - kEthernetHeaderLen || load16(ip + 4) != next_id_) return false;
    if (len_ - kEthernetHeaderLen + payload > 65535) return false;
  }
  const std::uint8_t* t = f.data() + l4_;
  const std::uint8_t* ht = have + l4_;
  // Same ports, the next sequence number, same ack, header length, window,
  // urgent pointer and options (timestamps included, as Linux's GRO wants).
  if (std::memcmp(t, ht, 4) != 0 || load32(t + 4) != next_seq_ || std::memcmp(t + 8, ht + 8, 5) != 0 ||
      std::memcmp(t + 14, ht + 14, 2) != 0 || std::memcmp(t + 18, ht + 18, hdr_len_ - l4_ - 18) != 0)
    return false;
  if ((t[13] & static_cast<std::uint8_t>(~kTcpPsh)) != kTcpAck) return false;
  ++segments_;
  pieces_[segments_] = {f.data() + hdr_len_, payload};
  len_ += payload;
  next_seq_ += static_cast<std::uint32_t>(payload);
  next_id_ = static_cast<std::uint16_t>(next_id_ + 1);
  if (t[13] & kTcpPsh) first()[l4_ + 13] |= kTcpPsh;
  if (payload < gso_size_ || (t[13] & kTcpPsh)) closed_ = true;
  return true;
}

std::span<const iovec> TcpCoalescer::flush() {
  if (segments_ == 0) return {};
  VnetHeader vh;
  std::uint8_t* f = first();
  const std::size_t first_len = pieces_[1].iov_len;
  if (segments_ == 1) {
    make_partial({f, first_len}, vh);
  } else {
    // The first segment's headers become the super-frame's.
    std::uint8_t* ip = f + kEthernetHeaderLen;
    Layout l{v6_, kProtoTcp, l4_, hdr_len_, len_};
    if (v6_) {
      store16(ip + 4, static_cast<std::uint16_t>(len_ - kEthernetHeaderLen - kIpv6HeaderLen));
    } else {
      store16(ip + 2, static_cast<std::uint16_t>(len_ - kEthernetHeaderLen));
      set_ipv4_checksum(ip, kIpv4HeaderLen);
    }
    // CHECKSUM_PARTIAL convention: the field holds the pseudo-header sum and
    // whoever needs the checksum (the kernel, only if it forwards) completes it.
    std::size_t l4_len = len_ - l4_;
    store16(f + l4_ + 16, cs::fold(pseudo({f, first_len}, l, l4_len)));
    vh.flags = kFlagNeedsCsum;
    vh.gso_type = v6_ ? kGsoTcpV6 : kGsoTcpV4;
    vh.hdr_len = static_cast<std::uint16_t>(hdr_len_);
    vh.gso_size = static_cast<std::uint16_t>(gso_size_);
    vh.csum_start = static_cast<std::uint16_t>(l4_);
    vh.csum_offset = 16;
  }
  write_vnet(vh, vnet_);
  pieces_[0] = {vnet_.data(), vnet_.size()};
  std::span<const iovec> out(pieces_.data(), segments_ + 1);
  segments_ = 0;
  len_ = 0;
  return out;
}

}  // namespace gn::dataplane::offload
