#include "net/address.hpp"

#include <gtest/gtest.h>

#include "net/mtu.hpp"
#include "util/error.hpp"

namespace gn::net {
namespace {

IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}

TEST(Address, ParseIsStrict) {
  EXPECT_TRUE(IpAddress::parse("2001:db8::1"));
  EXPECT_TRUE(IpAddress::parse("192.0.2.1"));
  EXPECT_FALSE(IpAddress::parse(""));
  EXPECT_FALSE(IpAddress::parse("[2001:db8::1]"));
  EXPECT_FALSE(IpAddress::parse(" 192.0.2.1"));
  EXPECT_FALSE(IpAddress::parse("192.0.2.256"));
  EXPECT_FALSE(IpAddress::parse("example.org"));
  EXPECT_FALSE(IpAddress::parse("2001:db8::1%eth0"));
  EXPECT_EQ(A("2001:db8:64::203.0.113.90").to_string(), "2001:db8:64::cb00:715a");
}

TEST(Address, EndpointSockaddrRoundTripAndUnmapping) {
  Endpoint e{A("2001:db8::1"), 6081};
  sockaddr_storage ss;
  socklen_t len = e.to_sockaddr(ss);
  EXPECT_EQ(*Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len), e);
  EXPECT_EQ(e.to_string(), "[2001:db8::1]:6081");
  Endpoint mapped{A("::ffff:192.0.2.7"), 1};
  EXPECT_EQ(mapped.unmapped().address, A("192.0.2.7"));
  EXPECT_EQ(mapped.unmapped().to_string(), "192.0.2.7:1");
  // Too short a length for the family is refused, never over-read.
  EXPECT_FALSE(Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), 8));
}

// RFC 6052 section 2.4 examples, with 192.0.2.33.
TEST(Nat64Prefix, Rfc6052Examples) {
  IpAddress v4 = A("192.0.2.33");
  struct Case {
    const char* prefix;
    const char* expected;
  } cases[] = {
      {"2001:db8::/32", "2001:db8:c000:221::"},
      {"2001:db8:100::/40", "2001:db8:1c0:2:21::"},
      {"2001:db8:122::/48", "2001:db8:122:c000:2:2100::"},
      {"2001:db8:122:300::/56", "2001:db8:122:3c0:0:221::"},
      {"2001:db8:122:344::/64", "2001:db8:122:344:c0:2:2100:0"},
      {"2001:db8:122:344::/96", "2001:db8:122:344::192.0.2.33"},
  };
  for (const auto& c : cases) {
    Nat64Prefix p = Nat64Prefix::parse(c.prefix);
    EXPECT_EQ(p.embed(v4), A(c.expected)) << c.prefix;
    EXPECT_EQ(p.extract(A(c.expected)), v4) << c.prefix;
  }
}

TEST(Nat64Prefix, RejectsBadPrefixes) {
  EXPECT_THROW(Nat64Prefix::parse("2001:db8::/80"), UsageError);
  EXPECT_THROW(Nat64Prefix::parse("192.0.2.0/24"), UsageError);
  EXPECT_THROW(Nat64Prefix::parse("2001:db8::"), UsageError);
  EXPECT_THROW(Nat64Prefix::parse("2001:db8::/x"), UsageError);
  Nat64Prefix p = Nat64Prefix::parse("2001:db8:64::/96");
  EXPECT_FALSE(p.extract(A("2001:db8:65::1")));
}

TEST(IpPrefix, Contains) {
  auto p = IpPrefix::parse("2001:db8:b::/48");
  EXPECT_TRUE(p.contains(A("2001:db8:b:1::5")));
  EXPECT_FALSE(p.contains(A("2001:db8:c::1")));
  EXPECT_FALSE(p.contains(A("192.0.2.1")));
  EXPECT_TRUE(IpPrefix::parse("10.0.0.0/9").contains(A("10.127.0.1")));
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/9").contains(A("10.128.0.1")));
  EXPECT_TRUE(IpPrefix::parse("::/0").contains(A("2001:db8::1")));
}

TEST(InterfaceAddress, KeepsHostBitsAndLength) {
  auto v4 = InterfaceAddress::parse("192.0.2.1/24");
  EXPECT_EQ(v4.address, A("192.0.2.1"));
  EXPECT_EQ(v4.length, 24);
  auto v6 = InterfaceAddress::parse("fd00::5/64");
  EXPECT_EQ(v6.address, A("fd00::5"));
  EXPECT_EQ(v6.length, 64);
  EXPECT_EQ(v6.to_string(), "fd00::5/64");
}

TEST(InterfaceAddress, RejectsBadText) {
  EXPECT_THROW(InterfaceAddress::parse("192.0.2.1"), UsageError);
  EXPECT_THROW(InterfaceAddress::parse("192.0.2.1/33"), UsageError);
  EXPECT_THROW(InterfaceAddress::parse("fd00::1/129"), UsageError);
  EXPECT_THROW(InterfaceAddress::parse("fd00::1/-1"), UsageError);
  EXPECT_THROW(InterfaceAddress::parse("host/24"), UsageError);
  EXPECT_THROW(InterfaceAddress::parse("fd00::1/64 "), UsageError);
}

TEST(Mtu, OverheadMatchesTheSpec) {
  // docs/protocol.md section 5: 94 with the routing option, 70 without.
  EXPECT_EQ(tunnel_overhead(8 + 24), 94u);
  EXPECT_EQ(tunnel_overhead(8), 70u);
  EXPECT_EQ(inner_mtu_for(1500, 32), 1406u);
  EXPECT_EQ(inner_mtu_for(1500, 8), 1430u);  // what kernel GENEVE computes over IPv6
  EXPECT_EQ(inner_mtu_for(50, 32), 0u);
}

}  // namespace
}  // namespace gn::net
