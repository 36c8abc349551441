// The reassembler alone: order, duplicates, overlaps (RFC 5722), lengths
// that disagree, its two bounds and its timeout; and the fragmenter's
// pieces put back together by it.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "nat64/fragmenter.hpp"
#include "nat64/packet.hpp"
#include "nat64/reassembly.hpp"
#include "util/bytes.hpp"

namespace gn::nat64 {
namespace {

using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

FragmentKey key(std::uint32_t id) {
  FragmentKey k;
  k.src[0] = 192;
  k.dst[0] = 198;
  k.id = id;
  k.proto = 17;
  k.version = 4;
  return k;
}

Bytes counting(std::size_t n) {
  Bytes b(n);
  std::iota(b.begin(), b.end(), std::uint8_t{0});
  return b;
}

class ReassemblyTest : public ::testing::Test {
 protected:
  ReassemblyResult add(std::uint32_t id, std::size_t offset, bool more, std::size_t len) {
    Bytes data(whole.begin() + static_cast<long>(offset), whole.begin() + static_cast<long>(offset + len));
    return r.add(key(id), offset, more, data, first_header, now, header, payload);
  }

  Reassembler r{ReassemblyLimits{.max_datagrams = 4, .max_bytes = 10000, .timeout = 5s}};
  TimePoint now{};
  Bytes whole = counting(4000);
  Bytes first_header = {0x45, 1, 2, 3};
  Bytes header;
  Bytes payload;
};

TEST_F(ReassemblyTest, InAnyOrder) {
  EXPECT_EQ(add(1, 1600, false, 400), ReassemblyResult::kHeld);
  EXPECT_EQ(add(1, 800, true, 800), ReassemblyResult::kHeld);
  EXPECT_EQ(r.bytes(), 2000u) << "the buffer reaches to the last fragment's end";
  EXPECT_EQ(add(1, 0, true, 800), ReassemblyResult::kComplete);
  EXPECT_EQ(header, first_header);
  EXPECT_EQ(payload, Bytes(whole.begin(), whole.begin() + 2000));
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST_F(ReassemblyTest, DatagramsAreKeptApart) {
  EXPECT_EQ(add(1, 0, true, 800), ReassemblyResult::kHeld);
  EXPECT_EQ(add(2, 0, true, 800), ReassemblyResult::kHeld);
  EXPECT_EQ(add(2, 800, false, 8), ReassemblyResult::kComplete);
  EXPECT_EQ(payload.size(), 808u);
  EXPECT_EQ(r.datagrams(), 1u);
}

TEST_F(ReassemblyTest, ADuplicateChangesNothingAnOverlapDropsTheDatagram) {
  EXPECT_EQ(add(1, 0, true, 800), ReassemblyResult::kHeld);
  EXPECT_EQ(add(1, 0, true, 800), ReassemblyResult::kHeld);
  EXPECT_EQ(r.bytes(), 800u);
  EXPECT_EQ(add(1, 400, true, 800), ReassemblyResult::kOverlap);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
  // The same range with other bytes is an overlap too.
  EXPECT_EQ(add(1, 0, true, 800), ReassemblyResult::kHeld);
  Bytes other(800, 0xee);
  EXPECT_EQ(r.add(key(1), 0, true, other, first_header, now, header, payload), ReassemblyResult::kOverlap);
}

TEST_F(ReassemblyTest, LengthsThatCannotBe) {
  // A middle fragment not a multiple of 8.
  EXPECT_EQ(add(1, 0, true, 801), ReassemblyResult::kTooBig);
  // Two last fragments that disagree.
  EXPECT_EQ(add(2, 800, false, 8), ReassemblyResult::kHeld);
  EXPECT_EQ(add(2, 1600, false, 8), ReassemblyResult::kTooBig);
  EXPECT_EQ(r.datagrams(), 0u);
  // Data past the end a last fragment set.
  EXPECT_EQ(add(3, 800, false, 8), ReassemblyResult::kHeld);
  EXPECT_EQ(add(3, 1600, true, 800), ReassemblyResult::kTooBig);
  // Past 65535 bytes.
  Bytes data(16);
  EXPECT_EQ(r.add(key(4), 65528, false, data, first_header, now, header, payload), ReassemblyResult::kTooBig);
  EXPECT_EQ(r.add(key(4), 8, true, {}, first_header, now, header, payload), ReassemblyResult::kTooBig);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

TEST_F(ReassemblyTest, BothBoundsHold) {
  for (std::uint32_t id = 1; id <= 4; ++id) EXPECT_EQ(add(id, 0, true, 8), ReassemblyResult::kHeld);
  EXPECT_EQ(add(5, 0, true, 8), ReassemblyResult::kFull);
  EXPECT_EQ(r.datagrams(), 4u);
  // Bytes: 10000 at most, whichever datagram asks.
  EXPECT_EQ(add(1, 8, true, 3992), ReassemblyResult::kHeld);
  EXPECT_EQ(r.bytes(), 4024u);
  Bytes big(6000);
  EXPECT_EQ(r.add(key(2), 8, true, big, first_header, now, header, payload), ReassemblyResult::kFull);
  EXPECT_EQ(r.datagrams(), 3u) << "the datagram that would not fit is dropped";
  EXPECT_EQ(r.bytes(), 4016u);
  // A far fragment costs the buffer it needs, not the bytes it brings.
  EXPECT_EQ(r.add(key(3), 6000, true, Bytes(8), first_header, now, header, payload), ReassemblyResult::kFull);
  EXPECT_EQ(r.bytes(), 4008u);
}

TEST_F(ReassemblyTest, IncompleteDatagramsExpire) {
  EXPECT_EQ(add(1, 0, true, 8), ReassemblyResult::kHeld);
  now += 3s;
  EXPECT_EQ(add(2, 0, true, 8), ReassemblyResult::kHeld);
  now += 2s;
  EXPECT_EQ(r.expire(now), 1u);
  EXPECT_EQ(r.datagrams(), 1u);
  // The key of an expired datagram starts afresh, and its new entry is
  // not mistaken for the old one's.
  EXPECT_EQ(add(1, 8, false, 8), ReassemblyResult::kHeld);
  now += 3s;
  EXPECT_EQ(r.expire(now), 1u);
  EXPECT_EQ(r.datagrams(), 1u);
  now += 2s;
  EXPECT_EQ(r.expire(now), 1u);
  EXPECT_EQ(r.datagrams(), 0u);
  EXPECT_EQ(r.bytes(), 0u);
}

// The fragmenter's pieces respect the MTU and reassemble to the packet.
TEST(FragmenterTest, PiecesFitAndReassemble) {
  Bytes v4(20 + 3000);
  v4[0] = 0x45;
  v4[9] = 17;
  store16(v4.data() + 2, static_cast<std::uint16_t>(v4.size()));
  store16(v4.data() + 4, 0x4242);
  std::iota(v4.begin() + 20, v4.end(), std::uint8_t{1});
  std::vector<Bytes> pieces;
  fragment_ipv4(v4, 1300, pieces);
  ASSERT_EQ(pieces.size(), 3u);
  Reassembler r{ReassemblyLimits{}};
  Bytes header;
  Bytes payload;
  ReassemblyResult last = ReassemblyResult::kHeld;
  for (const Bytes& p : pieces) {
    EXPECT_LE(p.size(), 1300u);
    Ipv4Header ip{};
    ASSERT_EQ(parse_ipv4(p, Completeness::kComplete, ip), ParseStatus::kOk) << "length and header checksum";
    last = r.add(key(0x4242), std::size_t{ip.fragment_offset} * 8, ip.more_fragments, ip.payload, ip.header, {}, header,
                 payload);
  }
  ASSERT_EQ(last, ReassemblyResult::kComplete);
  EXPECT_EQ(payload, Bytes(v4.begin() + 20, v4.end()));

  Bytes v6(40 + 3000);
  v6[0] = 0x60;
  v6[6] = 6;
  store16(v6.data() + 4, 3000);
  std::iota(v6.begin() + 40, v6.end(), std::uint8_t{9});
  fragment_ipv6(v6, 1280, 99, pieces);
  ASSERT_EQ(pieces.size(), 3u);
  Bytes upper;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const Bytes& p = pieces[i];
    EXPECT_LE(p.size(), 1280u);
    EXPECT_EQ(load16(p.data() + 4), p.size() - 40);
    EXPECT_EQ(p[6], 44);
    EXPECT_EQ(p[40], 6);
    EXPECT_EQ(load32(p.data() + 44), 99u);
    EXPECT_EQ(load16(p.data() + 42) & ~7u, upper.size());
    EXPECT_EQ(load16(p.data() + 42) & 1u, i + 1 < pieces.size() ? 1u : 0u);
    upper.insert(upper.end(), p.begin() + 48, p.end());
  }
  EXPECT_EQ(upper, Bytes(v6.begin() + 40, v6.end()));
}

}  // namespace
}  // namespace gn::nat64
