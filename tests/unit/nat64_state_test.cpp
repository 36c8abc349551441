// The binding and session tables on their own: mapping, filtering, expiry
// with an injected time, the table-full policy and the extension's binding
// rules.
#include <gtest/gtest.h>

#include "nat64/rate_limit.hpp"
#include "nat64/state.hpp"

namespace gn::nat64 {
namespace {

using namespace std::chrono_literals;

const net::IpAddress kHostA = *net::IpAddress::parse("2001:db8:1::a");
const net::IpAddress kHostB = *net::IpAddress::parse("2001:db8:1::b");
constexpr std::uint32_t kRemote1 = 0xcb00710a;
constexpr std::uint32_t kRemote2 = 0xcb007114;

class StateTableTest : public ::testing::Test {
 protected:
  TimePoint now = TimePoint{} + 100h;
  StateTable table{TableLimits{8, 1024, 65535, 6081}, Timeouts{}};
};

TEST_F(StateTableTest, PortPreservationAndEndpointIndependence) {
  auto r1 = table.outbound(Proto::kUdp, kHostA, 5000, kRemote1, 53, now);
  ASSERT_EQ(r1.error, StateError::kOk);
  EXPECT_TRUE(r1.binding_created);
  EXPECT_TRUE(r1.session_created);
  EXPECT_EQ(r1.session->binding->pool_port, 5000);
  auto r2 = table.outbound(Proto::kUdp, kHostA, 5000, kRemote2, 53, now);
  EXPECT_FALSE(r2.binding_created);
  EXPECT_EQ(r2.session->binding, r1.session->binding);
  // The same port from another host: allocated elsewhere.
  auto r3 = table.outbound(Proto::kUdp, kHostB, 5000, kRemote1, 53, now);
  EXPECT_NE(r3.session->binding->pool_port, 5000);
  // Ports below the range are moved into it.
  auto r4 = table.outbound(Proto::kUdp, kHostB, 53, kRemote1, 53, now);
  EXPECT_GE(r4.session->binding->pool_port, 1024);
  // UDP and ICMP are separate name spaces.
  auto r5 = table.outbound(Proto::kIcmp, kHostB, 5000, kRemote1, 0, now);
  EXPECT_EQ(r5.session->binding->pool_port, 5000);
  EXPECT_EQ(table.binding_count(), 4u);
}

TEST_F(StateTableTest, FilteringKnowsAddressesNotPorts) {
  table.outbound(Proto::kUdp, kHostA, 5000, kRemote1, 53, now);
  EXPECT_TRUE(table.remote_address_known(Proto::kUdp, 5000, kRemote1));
  EXPECT_FALSE(table.remote_address_known(Proto::kUdp, 5000, kRemote2));
  EXPECT_FALSE(table.remote_address_known(Proto::kIcmp, 5000, kRemote1));
  EXPECT_EQ(table.find_session(Proto::kUdp, 5000, kRemote1, 54), nullptr);
}

TEST_F(StateTableTest, ExpiryIsPerTimeoutClass) {
  auto* quiet = table.outbound(Proto::kUdp, kHostA, 1, kRemote1, 1, now).session;
  auto* answered = table.outbound(Proto::kUdp, kHostA, 2, kRemote1, 1, now).session;
  table.touch(*answered, Direction::kInbound, now);
  auto* ping = table.outbound(Proto::kIcmp, kHostA, 3, kRemote1, 0, now).session;
  EXPECT_EQ(quiet->expires, now + 30s);
  EXPECT_EQ(answered->expires, now + 120s);
  EXPECT_EQ(ping->expires, now + 60s);
  EXPECT_EQ(table.expire(now + 29s), 0u);
  EXPECT_EQ(table.expire(now + 30s), 1u);
  EXPECT_EQ(table.expire(now + 60s), 1u);
  EXPECT_EQ(table.expire(now + 119s), 0u);
  EXPECT_EQ(table.expire(now + 120s), 1u);
  EXPECT_EQ(table.session_count(), 0u);
  EXPECT_EQ(table.binding_count(), 0u);
}

TEST_F(StateTableTest, RefreshKeepsListsOrdered) {
  auto* a = table.outbound(Proto::kUdp, kHostA, 5001, kRemote1, 1, now).session;
  table.outbound(Proto::kUdp, kHostA, 5002, kRemote1, 1, now + 10s);
  table.touch(*a, Direction::kOutbound, now + 20s);  // a now expires at +50, b at +40
  EXPECT_EQ(table.expire(now + 40s), 1u);
  EXPECT_NE(table.find_session(Proto::kUdp, 5001, kRemote1, 1), nullptr);
  EXPECT_EQ(table.expire(now + 50s), 1u);
}

TEST_F(StateTableTest, FullTableRefusesAndLeavesNoBinding) {
  for (std::uint16_t p = 2000; p < 2008; ++p)
    ASSERT_EQ(table.outbound(Proto::kUdp, kHostA, p, kRemote1, 1, now).error, StateError::kOk);
  EXPECT_EQ(table.outbound(Proto::kUdp, kHostB, 3000, kRemote1, 1, now).error, StateError::kTableFull);
  EXPECT_EQ(table.binding_count(), 8u);  // no orphan binding for kHostB
  EXPECT_EQ(table.extension(kHostB, 6081, 6081, kRemote2, 1, now).error, StateError::kTableFull);
}

TEST_F(StateTableTest, ExtensionBindings) {
  auto r = table.extension(kHostA, 6081, 6081, kRemote1, 40000, now);
  ASSERT_EQ(r.error, StateError::kOk);
  EXPECT_TRUE(r.binding_created);
  EXPECT_EQ(r.session->binding->created_by, CreatedBy::kExtension);
  EXPECT_EQ(r.session->expires, now + 30s);  // unanswered until the host replies
  // The endpoint replies: the same binding, established.
  auto reply = table.outbound(Proto::kUdp, kHostA, 6081, kRemote1, 40000, now);
  EXPECT_EQ(reply.session, r.session);
  EXPECT_EQ(reply.session->expires, now + 120s);
  // Another endpoint wants the port: conflict while kHostA holds it.
  EXPECT_EQ(table.extension(kHostB, 6081, 6081, kRemote2, 1, now).error, StateError::kBindingConflict);
  // kHostA already mapped elsewhere cannot get a second pool port.
  table.outbound(Proto::kUdp, kHostB, 7000, kRemote1, 1, now);
  EXPECT_EQ(table.extension(kHostB, 7000, 6081, kRemote2, 1, now).error, StateError::kBindingConflict);
}

TEST(RateLimiterTest, TokenBucket) {
  TimePoint t0 = TimePoint{} + 1h;
  RateLimiter limiter(2.0, 3.0, 2);
  EXPECT_TRUE(limiter.allow(1, t0));
  EXPECT_TRUE(limiter.allow(1, t0));
  EXPECT_TRUE(limiter.allow(1, t0));
  EXPECT_FALSE(limiter.allow(1, t0));
  EXPECT_TRUE(limiter.allow(1, t0 + 500ms));  // 2/s: one token per 0.5 s
  EXPECT_FALSE(limiter.allow(1, t0 + 500ms));
  EXPECT_TRUE(limiter.allow(2, t0));
  EXPECT_FALSE(limiter.allow(3, t0));  // two sources tracked at most
  limiter.prune(t0 + 10s);             // all buckets full again: forgotten
  EXPECT_EQ(limiter.tracked(), 0u);
  EXPECT_TRUE(limiter.allow(3, t0 + 10s));
}

// docs/protocol.md 3.3: an endpoint sending from the GENEVE port gets
// pool:6081, the very binding the extension would create; whichever comes
// first, the other reuses it.
TEST_F(StateTableTest, GenevePortOutboundAndExtensionShareOneBinding) {
  auto out = table.outbound(Proto::kUdp, kHostA, 6081, kRemote1, 6081, now);
  ASSERT_EQ(out.error, StateError::kOk);
  EXPECT_EQ(out.session->binding->pool_port, 6081u);
  EXPECT_EQ(out.session->binding->created_by, CreatedBy::kOutbound);
  // The peer's packet (from its gateway's pool:6081) names kHostA: no conflict.
  auto ext = table.extension(kHostA, 6081, 6081, kRemote1, 6081, now);
  ASSERT_EQ(ext.error, StateError::kOk);
  EXPECT_EQ(ext.session, out.session);
  EXPECT_FALSE(ext.binding_created);
  EXPECT_EQ(table.binding_count(), 1u);
}

TEST_F(StateTableTest, GenevePortNotReservedForOthers) {
  // Not allowed to hold the GENEVE port: a dynamic port, never 6081.
  auto r = table.outbound(Proto::kUdp, kHostB, 6081, kRemote1, 6081, now, /*may_reserve=*/false);
  ASSERT_EQ(r.error, StateError::kOk);
  EXPECT_NE(r.session->binding->pool_port, 6081u);
  // ... and the port stays free for the allowed endpoint.
  auto a = table.outbound(Proto::kUdp, kHostA, 6081, kRemote1, 6081, now);
  ASSERT_EQ(a.error, StateError::kOk);
  EXPECT_EQ(a.session->binding->pool_port, 6081u);
}

}  // namespace
}  // namespace gn::nat64
