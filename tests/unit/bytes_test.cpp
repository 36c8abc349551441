#include "util/bytes.hpp"

#include <gtest/gtest.h>

#include <array>

namespace gn {
namespace {

// Network order means the most significant octet first, whatever the host.
TEST(Bytes, LoadsAreBigEndian) {
  const std::array<std::uint8_t, 8> b = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  EXPECT_EQ(load16(b.data()), 0x0123u);
  EXPECT_EQ(load24(b.data()), 0x012345u);
  EXPECT_EQ(load24(b.data() + 5), 0xabcdefu);
  EXPECT_EQ(load32(b.data()), 0x01234567u);
  EXPECT_EQ(load64(b.data()), 0x0123456789abcdefull);
}

TEST(Bytes, StoresAreBigEndianAndTouchOnlyTheirOctets) {
  std::array<std::uint8_t, 10> b;
  b.fill(0xee);
  store24(b.data() + 1, 0x00a1b2c3);
  EXPECT_EQ(b, (std::array<std::uint8_t, 10>{0xee, 0xa1, 0xb2, 0xc3, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee}));
  b.fill(0xee);
  store16(b.data(), 0xbeef);
  store32(b.data() + 2, 0xdeadbeef);
  EXPECT_EQ(b, (std::array<std::uint8_t, 10>{0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xee, 0xee, 0xee, 0xee}));
  store64(b.data() + 1, 0x0102030405060708ull);
  EXPECT_EQ(b, (std::array<std::uint8_t, 10>{0xbe, 1, 2, 3, 4, 5, 6, 7, 8, 0xee}));
}

TEST(Bytes, StoreThenLoadIsIdentity) {
  std::array<std::uint8_t, 8> b{};
  for (std::uint32_t v : {0u, 1u, 0x800000u, 0xffffffu}) {
    store24(b.data(), v);
    EXPECT_EQ(load24(b.data()), v);
  }
  store64(b.data(), 0xfedcba9876543210ull);
  EXPECT_EQ(load64(b.data()), 0xfedcba9876543210ull);
}

}  // namespace
}  // namespace gn
