// Segmentation and coalescing (dataplane/offload.hpp): super-frames split
// into segments whose every header and checksum is right, segments merged
// back into the same super-frame, and hostile virtio-net headers refused.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <vector>

#include "dataplane/offload.hpp"
#include "net/checksum.hpp"
#include "util/bytes.hpp"

namespace gn::dataplane::offload {
namespace {

namespace cs = gn::checksum;
using Bytes = std::vector<std::uint8_t>;

constexpr std::size_t kPrefix = 32;  // room for a GENEVE header with the routing option

// Ethernet + IPv4/IPv6 + TCP (with 12 bytes of options, as timestamps) or UDP,
// with `payload` bytes of a counting pattern. Checksums are left as a TAP
// with offloads leaves them for a TSO frame (not filled in).
Bytes make_frame(bool v6, bool tcp, std::size_t payload, std::uint8_t tcp_flags = 0x18) {
  std::size_t l3 = v6 ? 40 : 20, l4 = tcp ? 32 : 8;
  Bytes f(14 + l3 + l4 + payload);
  for (int i = 0; i < 6; ++i)
    f[i] = static_cast<std::uint8_t>(0x02 + i), f[6 + i] = static_cast<std::uint8_t>(0x12 + i);
  store16(&f[12], v6 ? 0x86dd : 0x0800);
  std::uint8_t* ip = &f[14];
  std::uint8_t proto = tcp ? 6 : 17;
  if (v6) {
    ip[0] = 0x60;
    store16(ip + 4, static_cast<std::uint16_t>(l4 + payload));
    ip[6] = proto;
    ip[7] = 64;
    ip[8] = 0xfd, ip[23] = 1;
    ip[24] = 0xfd, ip[39] = 2;
  } else {
    ip[0] = 0x45;
    store16(ip + 2, static_cast<std::uint16_t>(std::min<std::size_t>(65535, l3 + l4 + payload)));
    store16(ip + 4, 0x1000);
    store16(ip + 6, 0x4000);  // DF
    ip[8] = 64;
    ip[9] = proto;
    ip[12] = 10, ip[15] = 1;
    ip[16] = 10, ip[19] = 2;
  }
  std::uint8_t* t = ip + l3;
  store16(t, 40000);
  store16(t + 2, 5001);
  if (tcp) {
    store32(t + 4, 0xfffff000);  // wraps inside the frame
    store32(t + 8, 77);
    t[12] = static_cast<std::uint8_t>((l4 / 4) << 4);
    t[13] = tcp_flags;
    store16(t + 14, 512);
    t[20] = 1, t[21] = 1, t[22] = 8, t[23] = 10;  // NOP NOP TS
    store32(t + 24, 123456), store32(t + 28, 654321);
  } else {
    store16(t + 4, static_cast<std::uint16_t>(8 + payload));
  }
  for (std::size_t i = 0; i < payload; ++i) f[14 + l3 + l4 + i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return f;
}

VnetHeader tso(bool v6, std::uint16_t mss) {
  VnetHeader vh;
  vh.flags = kFlagNeedsCsum;
  vh.gso_type = v6 ? kGsoTcpV6 : kGsoTcpV4;
  vh.gso_size = mss;
  vh.csum_start = static_cast<std::uint16_t>(14 + (v6 ? 40 : 20));
  vh.csum_offset = 16;
  vh.hdr_len = static_cast<std::uint16_t>(vh.csum_start + 32);
  return vh;
}

// Each planned segment as the wire carries it after the GENEVE header: its
// headers from `headers`, then its payload from the frame.
std::vector<Bytes> split(const Bytes& headers, const Bytes& frame, const SegmentPlan& p) {
  std::vector<Bytes> v;
  for (std::size_t i = 0; i < p.count; ++i) {
    auto h = headers.begin() + static_cast<std::ptrdiff_t>(i * p.header_stride);
    Bytes g(h + kPrefix, h + static_cast<std::ptrdiff_t>(p.header_stride));
    auto d = frame.begin() + static_cast<std::ptrdiff_t>(p.payload_at(i));
    g.insert(g.end(), d, d + static_cast<std::ptrdiff_t>(p.payload_size(i)));
    v.push_back(std::move(g));
  }
  return v;
}

// What one writev of the pieces writes.
Bytes joined(std::span<const iovec> pieces) {
  Bytes b;
  for (const iovec& p : pieces) {
    const auto* d = static_cast<const std::uint8_t*>(p.iov_base);
    b.insert(b.end(), d, d + p.iov_len);
  }
  return b;
}

bool ipv4_header_ok(std::span<const std::uint8_t> f) {
  return cs::fold(cs::sum_bytes(f.subspan(14, 20))) == 0xffff;
}

class Tso : public ::testing::TestWithParam<bool> {};

TEST_P(Tso, SegmentsCarryRightHeadersAndChecksums) {
  const bool v6 = GetParam();
  const std::size_t payload = 60000, mss = 1348;
  Bytes f = make_frame(v6, true, payload);
  const Bytes original = f;
  Bytes out(200000);
  SegmentPlan s;
  ASSERT_EQ(plan_segments(tso(v6, mss), f, kPrefix, out, 128, s), SegmentError::kOk);
  EXPECT_EQ(f, original) << "a super-frame's payload is read where it lies, never written";
  const std::size_t hlen = 14 + (v6 ? 40 : 20) + 32;
  ASSERT_EQ(s.count, (payload + mss - 1) / mss);
  EXPECT_EQ(s.header_stride, kPrefix + hlen);
  EXPECT_EQ(s.datagram_size(), kPrefix + hlen + mss);
  EXPECT_EQ(s.payload_offset, hlen);
  EXPECT_EQ(s.last_payload, payload - (s.count - 1) * mss);
  auto segs = split(out, f, s);
  std::size_t carried = 0;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const Bytes& g = segs[i];
    SCOPED_TRACE(i);
    EXPECT_TRUE(l4_checksum_valid(g));
    const std::uint8_t* ip = g.data() + 14;
    const std::uint8_t* t = ip + (v6 ? 40 : 20);
    if (v6) {
      EXPECT_EQ(load16(ip + 4), g.size() - 54);
    } else {
      EXPECT_EQ(load16(ip + 2), g.size() - 14);
      EXPECT_EQ(load16(ip + 4), 0x1000 + i);
      EXPECT_TRUE(ipv4_header_ok(g));
    }
    EXPECT_EQ(load32(t + 4), static_cast<std::uint32_t>(0xfffff000u + i * mss));
    // PSH only on the last segment.
    EXPECT_EQ(t[13], i + 1 == segs.size() ? 0x18 : 0x10);
    EXPECT_EQ(0, std::memcmp(g.data() + hlen, f.data() + hlen + carried, g.size() - hlen));
    carried += g.size() - hlen;
  }
  EXPECT_EQ(carried, payload);

  // Coalescing the segments gives back one super-frame with the original
  // payload, a GSO header and the pseudo-header sum in the checksum field.
  TcpCoalescer c;
  for (Bytes& g : segs) ASSERT_TRUE(c.add(g));
  EXPECT_EQ(c.segments(), segs.size());
  auto pieces = c.flush();
  EXPECT_EQ(pieces.size(), segs.size() + 1) << "the vnet header, the first segment, every other's payload";
  const Bytes merged = joined(pieces);
  ASSERT_EQ(merged.size(), kVnetHeaderLen + f.size());
  VnetHeader vh = read_vnet(std::span(merged).first<kVnetHeaderLen>());
  EXPECT_EQ(vh.gso_type, v6 ? kGsoTcpV6 : kGsoTcpV4);
  EXPECT_EQ(vh.gso_size, mss);
  EXPECT_EQ(vh.flags, kFlagNeedsCsum);
  EXPECT_EQ(vh.csum_start, 14 + (v6 ? 40 : 20));
  EXPECT_EQ(vh.csum_offset, 16);
  auto m = std::span(merged).subspan(kVnetHeaderLen);
  EXPECT_EQ(0, std::memcmp(m.data() + hlen, f.data() + hlen, payload));
  EXPECT_EQ(m[hlen - 32 + 13], 0x18);  // PSH of the last segment kept
  // Completing the partial checksum as the kernel would gives a valid one.
  Bytes done(m.begin(), m.end());
  std::size_t l4 = vh.csum_start;
  store16(&done[l4 + 16], cs::finish(cs::sum_bytes({done.data() + l4, done.size() - l4})));
  EXPECT_TRUE(l4_checksum_valid(done));
  if (!v6) {
    EXPECT_TRUE(ipv4_header_ok(m));
  }
  EXPECT_TRUE(c.empty());
}

INSTANTIATE_TEST_SUITE_P(V4V6, Tso, ::testing::Values(false, true));

TEST(Offload, UdpSegmentation) {
  Bytes f = make_frame(true, false, 5000);
  VnetHeader vh;
  vh.gso_type = kGsoUdpL4;
  vh.gso_size = 1200;
  Bytes out(20000);
  SegmentPlan s;
  ASSERT_EQ(plan_segments(vh, f, kPrefix, out, 128, s), SegmentError::kOk);
  EXPECT_EQ(s.count, 5u);
  for (const Bytes& g : split(out, f, s)) {
    EXPECT_TRUE(l4_checksum_valid(g));
    EXPECT_EQ(load16(g.data() + 54 + 4), g.size() - 54);
  }
}

TEST(Offload, ChecksumCompletedForAFrameWithoutGso) {
  for (bool v6 : {false, true}) {
    for (bool tcp : {false, true}) {
      Bytes f = make_frame(v6, tcp, 333);
      std::size_t l4 = 14 + (v6 ? 40 : 20);
      std::size_t field = l4 + (tcp ? 16 : 6);
      // As a TAP hands it over: the pseudo-header sum in the field.
      VnetHeader ph;
      Bytes probe = f;
      ASSERT_TRUE(make_partial(probe, ph));
      VnetHeader vh;
      vh.flags = kFlagNeedsCsum;
      vh.csum_start = static_cast<std::uint16_t>(l4);
      vh.csum_offset = static_cast<std::uint16_t>(tcp ? 16 : 6);
      EXPECT_FALSE(l4_checksum_valid(probe));
      Bytes out(kPrefix);
      SegmentPlan s;
      ASSERT_EQ(plan_segments(vh, probe, kPrefix, out, 128, s), SegmentError::kOk);
      ASSERT_EQ(s.count, 1u);
      EXPECT_EQ(s.header_stride, kPrefix) << "only the GENEVE header's room: the frame is the payload";
      EXPECT_TRUE(l4_checksum_valid(split(out, probe, s)[0])) << v6 << tcp;
      EXPECT_EQ(ph.csum_start, l4);
      EXPECT_EQ(ph.csum_offset + l4, field);
    }
  }
}

TEST(Offload, HostileVnetHeadersAreRefused) {
  Bytes f = make_frame(false, true, 3000);
  Bytes out(100000);
  SegmentPlan s;
  VnetHeader vh = tso(false, 1000);
  vh.gso_size = 0;
  EXPECT_EQ(plan_segments(vh, f, kPrefix, out, 128, s), SegmentError::kBadVnet);
  vh = tso(false, 1);
  EXPECT_EQ(plan_segments(vh, f, kPrefix, out, 128, s), SegmentError::kTooManySegments);
  vh = tso(true, 1000);  // says IPv6, frame is IPv4
  EXPECT_EQ(plan_segments(vh, f, kPrefix, out, 128, s), SegmentError::kBadPacket);
  vh = tso(false, 1000);
  vh.gso_type = 3;  // UFO: never offered, never accepted
  EXPECT_EQ(plan_segments(vh, f, kPrefix, out, 128, s), SegmentError::kBadVnet);
  vh = {};
  vh.flags = kFlagNeedsCsum;
  vh.csum_start = static_cast<std::uint16_t>(f.size());  // past the end
  EXPECT_EQ(plan_segments(vh, f, kPrefix, out, 128, s), SegmentError::kBadVnet);
  vh.csum_start = static_cast<std::uint16_t>(f.size() - 1);
  vh.csum_offset = 0;  // the field would run one byte past the end
  EXPECT_EQ(plan_segments(vh, f, kPrefix, out, 128, s), SegmentError::kBadVnet);
  vh = tso(false, 1000);
  Bytes small(2 * (kPrefix + 14 + 20 + 32));  // headers for two of the three segments
  EXPECT_EQ(plan_segments(vh, f, kPrefix, small, 128, s), SegmentError::kNoRoom);
  // A frame cut inside its TCP header.
  Bytes cut(f.begin(), f.begin() + 14 + 20 + 10);
  EXPECT_EQ(plan_segments(vh, cut, kPrefix, out, 128, s), SegmentError::kBadPacket);
  // A TCP header length field pointing past the frame.
  Bytes bad = f;
  bad[14 + 20 + 12] = 0xf0;
  bad.resize(14 + 20 + 40);
  EXPECT_EQ(plan_segments(vh, bad, kPrefix, out, 128, s), SegmentError::kBadPacket);
}

TEST(Offload, CoalescerRefusesWhatMustNotMerge) {
  const std::size_t hlen = 14 + 20 + 32;
  // The coalescer keeps views: every frame it may take lives to the end.
  std::deque<Bytes> frames;
  auto seg = [&](std::uint32_t seq, std::size_t len, std::uint8_t flags, std::uint16_t id) -> Bytes& {
    Bytes& f = frames.emplace_back(make_frame(false, true, len, flags));
    store32(&f[14 + 20 + 4], seq);
    store16(&f[14 + 4], id);
    return f;
  };
  {
    TcpCoalescer c;
    ASSERT_TRUE(c.add(seg(1000, 100, 0x10, 1)));
    EXPECT_FALSE(c.add(seg(1200, 100, 0x10, 2))) << "a gap in the sequence";
    EXPECT_FALSE(c.add(seg(1100, 200, 0x10, 2))) << "longer than the first segment";
    EXPECT_FALSE(c.add(seg(1100, 100, 0x10, 5))) << "IPv4 ID out of order";
    EXPECT_FALSE(c.add(seg(1100, 100, 0x11, 2))) << "FIN";
    Bytes& other = seg(1100, 100, 0x10, 2);
    other[14 + 20 + 25] ^= 1;  // another timestamp
    EXPECT_FALSE(c.add(other)) << "different options";
    ASSERT_TRUE(c.add(seg(1100, 50, 0x10, 2)));
    EXPECT_FALSE(c.add(seg(1150, 50, 0x10, 3))) << "after a short segment";
    EXPECT_EQ(c.segments(), 2u);
    EXPECT_EQ(joined(c.flush()).size(), kVnetHeaderLen + hlen + 150);
  }
  {
    TcpCoalescer c;
    EXPECT_FALSE(c.add(seg(1, 0, 0x10, 1))) << "a pure ACK starts nothing";
    EXPECT_FALSE(c.add(seg(1, 10, 0x02, 1))) << "SYN";
    Bytes udp = make_frame(true, false, 100);
    EXPECT_FALSE(c.add(udp));
    Bytes& nodf = seg(1, 10, 0x10, 1);
    store16(&nodf[14 + 6], 0);
    EXPECT_FALSE(c.add(nodf)) << "IPv4 without DF";
    EXPECT_TRUE(c.empty());
    // A lone segment leaves as it came, with its checksum made partial.
    ASSERT_TRUE(c.add(seg(1, 10, 0x18, 1)));
    const Bytes out = joined(c.flush());
    VnetHeader vh = read_vnet(std::span(out).first<kVnetHeaderLen>());
    EXPECT_EQ(vh.gso_type, kGsoNone);
    EXPECT_EQ(vh.flags, kFlagNeedsCsum);
  }
  {
    // Never more than kMaxSegments segments in one super-frame.
    TcpCoalescer c;
    std::size_t taken = 0;
    for (std::uint32_t i = 0; i < TcpCoalescer::kMaxSegments + 1; ++i)
      taken += c.add(seg(1 + i * 10, 10, 0x10, static_cast<std::uint16_t>(1 + i))) ? 1 : 0;
    EXPECT_EQ(taken, TcpCoalescer::kMaxSegments);
    EXPECT_EQ(c.flush().size(), TcpCoalescer::kMaxSegments + 1);
  }
}

TEST(Offload, FramesLargerThanTheMtuStayResegmentable) {
  // A kernel GENEVE sender on the same host may hand over a 15 KB TCP frame
  // whole: it must not become a super-frame whose segments exceed the MTU.
  Bytes big = make_frame(true, true, 15000, 0x10);
  TcpCoalescer c;
  EXPECT_FALSE(c.add(big, 1406));
  VnetHeader vh;
  ASSERT_TRUE(make_partial(big, vh, 1406));
  EXPECT_EQ(vh.gso_type, kGsoTcpV6);
  EXPECT_EQ(vh.gso_size, 1406 - 40 - 32);
  Bytes small = make_frame(true, true, 1000, 0x10);
  VnetHeader vs;
  ASSERT_TRUE(make_partial(small, vs, 1406));
  EXPECT_EQ(vs.gso_type, kGsoNone);
}

}  // namespace
}  // namespace gn::dataplane::offload
