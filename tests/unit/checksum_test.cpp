// Checksum arithmetic against RFC 1071's worked example and an independent
// bit-by-bit reference.
#include <gtest/gtest.h>

#include <vector>

#include "net/checksum.hpp"

namespace gn::checksum {
namespace {

TEST(Checksum, Rfc1071Example) {
  // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
  std::vector<std::uint8_t> b = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(fold(sum_bytes(b)), 0xddf2);
  EXPECT_EQ(finish(sum_bytes(b)), 0x220d);
}

TEST(Checksum, IncrementalUpdateMatchesRecomputation) {
  // RFC 1624: replacing words with sum m by words with sum m' must give the
  // same checksum as recomputing, for any data (pseudo-random here).
  std::uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245u + 12345u; };
  for (int round = 0; round < 500; ++round) {
    std::vector<std::uint8_t> data(2 + next() % 64 * 2);
    for (auto& b : data) b = static_cast<std::uint8_t>(next() >> 16);
    std::uint16_t before = finish(sum_bytes(data));
    std::size_t at = (next() % (data.size() / 2)) * 2;
    std::uint64_t removed = load16(data.data() + at);
    store16(data.data() + at, static_cast<std::uint16_t>(next() >> 8));
    std::uint64_t added = load16(data.data() + at);
    EXPECT_EQ(fold(~adjust(before, removed, added) & 0xffff), fold(~finish(sum_bytes(data)) & 0xffff))
        << "round " << round;
    // Equal as one's complement numbers (0x0000 and 0xffff are both zero).
    std::uint16_t a = adjust(before, removed, added), b = finish(sum_bytes(data));
    EXPECT_TRUE(a == b || (a == 0xffff && b == 0) || (a == 0 && b == 0xffff)) << round;
  }
}

TEST(Checksum, UdpZeroIsSentAsAllOnes) {
  EXPECT_EQ(udp_wire_checksum(0), 0xffff);
  EXPECT_EQ(udp_wire_checksum(0x1234), 0x1234);
}

TEST(Checksum, PseudoHeaders) {
  // IPv4 pseudo-header for 198.51.100.7 -> 203.0.113.10, UDP, length 10:
  // c633+6407+cb00+710a+0011+000a = 0x2665f -> 0x665f + 2 = 0x6661.
  std::array<std::uint8_t, 4> s{198, 51, 100, 7}, d{203, 0, 113, 10};
  EXPECT_EQ(fold(pseudo_v4(s, d, 17, 10)), 0x6661);
  // IPv6: the 32-bit length contributes both halves.
  std::array<std::uint8_t, 16> z{};
  EXPECT_EQ(fold(pseudo_v6(z, z, 58, 0x10002)), 0x1 + 0x2 + 58);
}

TEST(Checksum, BulkSumMatchesWordByWord) {
  // The eight-bytes-at-a-time sum against the definition, for every length
  // and alignment up to a few words.
  std::vector<std::uint8_t> data(300);
  std::uint32_t seed = 7;
  for (auto& b : data) b = static_cast<std::uint8_t>((seed = seed * 1103515245u + 12345u) >> 16);
  for (std::size_t off = 0; off < 9; ++off) {
    for (std::size_t len = 0; len + off <= data.size(); ++len) {
      std::uint64_t ref = 0;
      for (std::size_t i = 0; i < len; ++i) ref += static_cast<std::uint64_t>(data[off + i]) << (i % 2 ? 0 : 8);
      ASSERT_EQ(fold(sum_bytes({data.data() + off, len}, 5)), fold(ref + 5)) << off << " " << len;
    }
  }
}

}  // namespace
}  // namespace gn::checksum
