#include "net/prefix_table.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gn::net {
namespace {

IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}

TEST(Masked, ClearsHostBits) {
  EXPECT_EQ(masked(A("2001:db8:ffff::1"), 36).to_string(), "2001:db8:f000::");
  EXPECT_EQ(masked(A("192.0.2.255"), 25).to_string(), "192.0.2.128");
  EXPECT_EQ(masked(A("192.0.2.255"), 0).to_string(), "0.0.0.0");
  EXPECT_EQ(masked(A("2001:db8::1"), 128), A("2001:db8::1"));
}

TEST(PrefixTable, LongestPrefixWins) {
  PrefixTable<std::string> t;
  EXPECT_TRUE(t.add(A("fd01::"), 48, "wide"));
  EXPECT_TRUE(t.add(A("fd01:0:0:1::"), 64, "one"));
  EXPECT_TRUE(t.add(A("fd01:0:0:1::7"), 128, "host"));
  EXPECT_TRUE(t.add(A("10.0.0.0"), 8, "ten"));
  EXPECT_EQ(*t.lookup(A("fd01:0:0:1::7")), "host");
  EXPECT_EQ(*t.lookup(A("fd01:0:0:1::8")), "one");
  EXPECT_EQ(*t.lookup(A("fd01:0:0:2::1")), "wide");
  EXPECT_EQ(t.lookup(A("fd02::1")), nullptr);
  EXPECT_EQ(*t.lookup(A("10.9.9.9")), "ten");
  // Families never mix: ::/0 is not 0.0.0.0/0.
  EXPECT_EQ(t.lookup(A("11.0.0.1")), nullptr);
  EXPECT_TRUE(t.add(A("::"), 0, "default6"));
  EXPECT_EQ(t.lookup(A("11.0.0.1")), nullptr);
  EXPECT_EQ(*t.lookup(A("fd02::1")), "default6");
  EXPECT_EQ(t.size(), 5u);
}

TEST(PrefixTable, SamePrefixTwiceIsRefusedWhateverTheHostBits) {
  PrefixTable<int> t;
  EXPECT_TRUE(t.add(A("fd01:0:0:1::"), 64, 1));
  EXPECT_FALSE(t.add(A("fd01:0:0:1::99"), 64, 2));
  EXPECT_EQ(*t.lookup(A("fd01:0:0:1::5")), 1);
}

TEST(PrefixTable, TenThousandClientsLookUpByOneProbeEach) {
  PrefixTable<int> t;
  for (int i = 1; i <= 10000; ++i) {
    std::array<std::uint8_t, 16> b{0xfd, 0x01};
    b[6] = static_cast<std::uint8_t>(i >> 8);
    b[7] = static_cast<std::uint8_t>(i);
    ASSERT_TRUE(t.add(IpAddress::v6(b), 64, i));
  }
  std::array<std::uint8_t, 16> b{0xfd, 0x01};
  b[6] = 0x27;
  b[7] = 0x0f;  // 9999
  b[15] = 2;
  EXPECT_EQ(*t.lookup(IpAddress::v6(b)), 9999);
}

}  // namespace
}  // namespace gn::net
