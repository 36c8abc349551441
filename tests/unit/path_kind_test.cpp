// Path kinds in status come from the facts, not from the selector's slot: a
// PATH that is REMOTE over plain IPv6 is "direct-ipv6", not "nat64".
#include <gtest/gtest.h>

#include "control/path_kind.hpp"

namespace gn::control {
namespace {

net::Endpoint ep(const char* a) {
  return {*net::IpAddress::parse(a), 6081};
}

const PathFacts kSymmetric{*net::IpAddress::parse("2001:db8:b::1"), {}};

TEST(PathKind, PathThatIsRemoteIsDirectIpv6WithOrWithoutTheOption) {
  // The old demo: both sites over a routed IPv6 link, PATH = REMOTE.
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:b::1"), true, kSymmetric), "direct-ipv6");
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:b::1"), false, kSymmetric), "direct-ipv6");
  // Auto mode's direct candidate.
  EXPECT_EQ(path_kind(PathKind::kDirect, ep("2001:db8:b::1"), false, kSymmetric), "direct-ipv6");
}

TEST(PathKind, AnotherIpv6AddressWithTheOptionIsTheExtension) {
  // Site A to B's gateway inside A's NAT64 prefix (scripts/lab symmetric).
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:64:a::203.0.113.90"), true, kSymmetric), "nat64-extension");
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:64:a::203.0.113.90"), false, kSymmetric), "ipv6");
}

TEST(PathKind, AnAddressInOurNat64PrefixIsNat64Prefix) {
  // client6 behind TAYGA with --nat64-prefix 2001:db8:64:c::/96.
  const PathFacts client6{*net::IpAddress::parse("fd00:c6::1"), {net::Nat64Prefix::parse("2001:db8:64:c::/96")}};
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:64:c::192.0.2.7"), true, client6), "nat64-prefix");
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:64:d::192.0.2.7"), true, client6), "nat64-extension");
  // With several NAT64s, any of their prefixes.
  const PathFacts two{*net::IpAddress::parse("fd00:c6::1"),
                      {net::Nat64Prefix::parse("2001:db8:64:a::/96"), net::Nat64Prefix::parse("2001:db8:64:b::/96")}};
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:64:a::192.0.2.7"), true, two), "nat64-prefix");
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:64:b::192.0.2.7"), true, two), "nat64-prefix");
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("2001:db8:64:c::192.0.2.7"), true, two), "nat64-extension");
}

TEST(PathKind, Ipv4TargetsLearnedSourcesAndNothing) {
  EXPECT_EQ(path_kind(PathKind::kNat64, ep("192.0.2.7"), true, kSymmetric), "ipv4");
  EXPECT_EQ(path_kind(PathKind::kLearned, ep("2001:db8:64:5::203.0.113.2"), false, kSymmetric), "learned");
  EXPECT_EQ(path_kind(PathKind::kNone, ep("2001:db8:b::1"), false, kSymmetric), "none");
}

TEST(PathKind, ACandidateIsJudgedByItsOwnTargetAndOption) {
  Candidate c;
  c.kind = PathKind::kNat64;
  c.target = ep("2001:db8:b::1");
  c.route_option = true;
  EXPECT_EQ(path_kind(c, kSymmetric), "direct-ipv6");
  c.target = ep("2001:db8:64:a::203.0.113.90");
  EXPECT_EQ(path_kind(c, kSymmetric), "nat64-extension");
}

TEST(PathKind, ThePeersSlotIsNamedAsASlot) {
  EXPECT_EQ(peer_slot(PathKind::kNat64), "path");
  EXPECT_EQ(peer_slot(PathKind::kDirect), "direct");
  EXPECT_EQ(peer_slot(PathKind::kLearned), "learned");
  EXPECT_EQ(peer_slot(PathKind::kNone), "none");
}

}  // namespace
}  // namespace gn::control
