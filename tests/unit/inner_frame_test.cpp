#include "dataplane/inner_frame.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "dataplane/allowed_ips.hpp"

namespace gn::dataplane {
namespace {

using Frame = std::vector<std::uint8_t>;
using inner::Source;

net::IpAddress A(const char* s) {
  return *net::IpAddress::parse(s);
}

void put(Frame& f, std::size_t off, const net::IpAddress& a) {
  const std::size_t n = a.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) f[off + i] = a.bytes()[i];
}

// Ethernet + IPv6 (+ an optional hop-by-hop header) + `payload` bytes,
// payload[0] at the upper-layer header.
Frame ipv6(const char* src, const char* dst, std::uint8_t next, Frame payload, bool hop_by_hop = false) {
  Frame f(14 + 40, 0);
  f[12] = 0x86;
  f[13] = 0xdd;
  f[14] = 0x60;
  f[14 + 6] = hop_by_hop ? 0 : next;
  put(f, 14 + 8, A(src));
  put(f, 14 + 24, A(dst));
  if (hop_by_hop) f.insert(f.end(), {next, 0, 5, 2, 0, 0, 1, 0});  // router alert, padded to 8
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

Frame neighbor_solicitation(const char* src, const char* dst, const char* target) {
  Frame icmp(24, 0);
  icmp[0] = 135;
  Frame f = ipv6(src, dst, 58, icmp);
  put(f, 14 + 40 + 8, A(target));
  return f;
}

Frame ipv4(const char* src, const char* dst) {
  Frame f(14 + 20 + 8, 0);
  f[12] = 0x08;
  f[14] = 0x45;
  f[14 + 9] = 17;
  put(f, 14 + 12, A(src));
  put(f, 14 + 16, A(dst));
  return f;
}

Frame arp(const char* sender, const char* target) {
  Frame f(14 + 28, 0);
  f[12] = 0x08;
  f[13] = 0x06;
  f[15] = 1;  // Ethernet
  f[16] = 0x08;
  f[18] = 6;
  f[19] = 4;
  f[21] = 1;  // request
  put(f, 14 + 14, A(sender));
  put(f, 14 + 24, A(target));
  return f;
}

TEST(InnerFrame, UnicastGoesByDestination) {
  EXPECT_EQ(inner::route_address(ipv6("fd01::1", "fd01:0:0:1::2", 17, Frame(8))), A("fd01:0:0:1::2"));
  EXPECT_EQ(inner::route_address(ipv4("10.0.0.1", "10.1.0.2")), A("10.1.0.2"));
}

TEST(InnerFrame, SolicitationGoesToTheTargetsOwnerAndOtherMulticastNowhere) {
  EXPECT_EQ(inner::route_address(neighbor_solicitation("fd01::1", "ff02::1:ff00:2", "fd01:0:0:1::2")),
            A("fd01:0:0:1::2"));
  // MLD reports, router advertisements, pings to all nodes: no single owner.
  EXPECT_FALSE(inner::route_address(ipv6("fe80::1", "ff02::16", 58, Frame{143, 0, 0, 0, 0, 0, 0, 0}, true)));
  EXPECT_FALSE(inner::route_address(ipv6("fe80::1", "ff02::1", 58, Frame{134, 0, 0, 0, 0, 0, 0, 0})));
  EXPECT_FALSE(inner::route_address(ipv4("10.0.0.1", "255.255.255.255")));
  EXPECT_FALSE(inner::route_address(ipv4("10.0.0.1", "224.0.0.251")));
  EXPECT_EQ(inner::route_address(arp("10.0.0.1", "10.1.0.2")), A("10.1.0.2"));
  EXPECT_FALSE(inner::route_address(arp("10.0.0.1", "246.254.255.247")));  // fuzz_inner_frame found it
  EXPECT_EQ(inner::source_of(arp("224.0.0.1", "10.1.0.2")).kind, Source::Kind::kInvalid);
}

TEST(InnerFrame, TruncatedOrForeignFramesHaveNoOwner) {
  auto ns = neighbor_solicitation("fd01::1", "ff02::1:ff00:2", "fd01:0:0:1::2");
  for (std::size_t n = 0; n < ns.size(); ++n) {
    Frame cut(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_FALSE(inner::route_address(cut)) << n;
    // The source is known once the IPv6 header is whole.
    if (n < 14 + 40) {
      EXPECT_EQ(inner::source_of(cut).kind, Source::Kind::kInvalid) << n;
    }
  }
  Frame vlan = ipv4("10.0.0.1", "10.1.0.2");
  vlan[12] = 0x81;
  vlan[13] = 0x00;
  EXPECT_FALSE(inner::route_address(vlan));
  Frame wrong_version = ipv6("fd01::1", "fd01:0:0:1::2", 17, Frame(8));
  wrong_version[14] = 0x40;
  EXPECT_FALSE(inner::route_address(wrong_version));
}

TEST(InnerFrame, SourcesToCheckAndTheExemptions) {
  auto s = inner::source_of(ipv6("fd01:0:0:1::2", "fd01::1", 17, Frame(8)));
  EXPECT_EQ(s.kind, Source::Kind::kAddress);
  EXPECT_EQ(s.address, A("fd01:0:0:1::2"));
  EXPECT_EQ(inner::source_of(ipv4("10.1.0.2", "10.0.0.1")).address, A("10.1.0.2"));
  EXPECT_EQ(inner::source_of(arp("10.1.0.2", "10.0.0.1")).address, A("10.1.0.2"));
  // Neighbour discovery and MLD from link-local or unspecified sources.
  EXPECT_EQ(inner::source_of(neighbor_solicitation("::", "ff02::1:ff00:2", "fd01:0:0:1::2")).kind,
            Source::Kind::kExempt);
  EXPECT_EQ(inner::source_of(ipv6("fe80::2", "ff02::16", 58, Frame{143, 0, 0, 0, 0, 0, 0, 0}, true)).kind,
            Source::Kind::kExempt);
  EXPECT_EQ(inner::source_of(arp("0.0.0.0", "10.1.0.2")).kind, Source::Kind::kExempt);
  // Anything else from link-local, multicast sources, non-IP: refused.
  EXPECT_EQ(inner::source_of(ipv6("fe80::2", "fe80::1", 58, Frame{128, 0, 0, 0, 0, 0, 0, 0})).kind,
            Source::Kind::kInvalid);
  EXPECT_EQ(inner::source_of(ipv6("fe80::2", "fe80::1", 17, Frame(8))).kind, Source::Kind::kInvalid);
  EXPECT_EQ(inner::source_of(ipv6("ff02::1", "fd01::1", 17, Frame(8))).kind, Source::Kind::kInvalid);
  EXPECT_EQ(inner::source_of(ipv4("0.0.0.0", "255.255.255.255")).kind, Source::Kind::kInvalid);
  Frame lldp(60, 0);
  lldp[12] = 0x88;
  lldp[13] = 0xcc;
  EXPECT_EQ(inner::source_of(lldp).kind, Source::Kind::kInvalid);
}

TEST(AllowedIps, RoutesByOwnerAndChecksTheSender) {
  auto* one = reinterpret_cast<Tunnel*>(0x10);  // never dereferenced
  auto* two = reinterpret_cast<Tunnel*>(0x20);
  AllowedIps a;
  ASSERT_TRUE(a.add(net::IpPrefix::parse("fd01:0:0:1::/64"), one));
  ASSERT_TRUE(a.add(net::IpPrefix::parse("fd01:0:0:2::/64"), two));
  ASSERT_TRUE(a.add(net::IpPrefix::parse("fd01:0:0:1:ff::/80"), two));  // inside one's, so two's
  EXPECT_FALSE(a.add(net::IpPrefix::parse("fd01:0:0:2::/64"), one));
  EXPECT_EQ(a.route(ipv6("fd01::1", "fd01:0:0:1::2", 17, Frame(8))), one);
  EXPECT_EQ(a.route(ipv6("fd01::1", "fd01:0:0:1:ff::2", 17, Frame(8))), two);
  EXPECT_EQ(a.route(neighbor_solicitation("fd01::1", "ff02::1:ff00:2", "fd01:0:0:2::2")), two);
  EXPECT_EQ(a.route(ipv6("fd01::1", "fd01:0:0:3::2", 17, Frame(8))), nullptr);
  EXPECT_TRUE(a.source_allowed(ipv6("fd01:0:0:1::2", "fd01::1", 17, Frame(8)), one));
  // One client speaking from another's prefix: refused, both ways round.
  EXPECT_FALSE(a.source_allowed(ipv6("fd01:0:0:2::2", "fd01::1", 17, Frame(8)), one));
  EXPECT_FALSE(a.source_allowed(ipv6("fd01:0:0:1:ff::2", "fd01::1", 17, Frame(8)), one));
  EXPECT_FALSE(a.source_allowed(ipv6("fd01:0:0:9::2", "fd01::1", 17, Frame(8)), one));
  EXPECT_TRUE(a.source_allowed(neighbor_solicitation("::", "ff02::1:ff00:2", "fd01:0:0:1::2"), one));
}

}  // namespace
}  // namespace gn::dataplane
