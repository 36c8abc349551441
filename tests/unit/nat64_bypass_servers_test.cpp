// The gateway's per-server bypass state (docs/protocol.md 8.4-8.7), on an
// injected clock.
#include <gtest/gtest.h>

#include "nat64/bypass_servers.hpp"

namespace gn::nat64 {
namespace {

using std::chrono::seconds;
using D = BypassServers::Decision;
constexpr std::uint32_t kServer = 0xcb00710a;
constexpr bypass::Mac kMac{0x02, 1, 2, 3, 4, 5};

struct BypassServersTest : ::testing::Test {
  TimePoint t0{seconds(1000)};
  BypassLimits limits;
};

TEST_F(BypassServersTest, OffersOncePerIntervalUntilAccepted) {
  BypassServers s(limits);
  EXPECT_EQ(s.on_client_packet(kServer, t0), D::kOffer);
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(1)), D::kTranslate);
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(59)), D::kTranslate);
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(60)), D::kOffer);
  EXPECT_TRUE(s.accept(kServer, kMac, t0 + seconds(61)));
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(62)), D::kBypass);
  EXPECT_EQ(s.server_mac(kServer, t0 + seconds(62)), kMac);
}

TEST_F(BypassServersTest, KeepalivesKeepItAcceptedAndSilenceEndsIt) {
  BypassServers s(limits);
  EXPECT_TRUE(s.accept(kServer, kMac, t0));  // a keepalive after a gateway restart
  EXPECT_FALSE(s.accept(kServer, kMac, t0 + seconds(10)));
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(39)), D::kBypass);
  EXPECT_EQ(s.server_mac(kServer, t0 + seconds(40)), std::nullopt);
  // Gone quiet after being accepted: offered again at once, not after 60 s.
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(40)), D::kOffer);
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(41)), D::kTranslate);
}

TEST_F(BypassServersTest, TheServerMacIsTheLatest) {
  BypassServers s(limits);
  s.accept(kServer, kMac, t0);
  const bypass::Mac restarted{0x06, 9, 9, 9, 9, 9};
  EXPECT_FALSE(s.accept(kServer, restarted, t0 + seconds(1)));
  EXPECT_EQ(s.server_mac(kServer, t0 + seconds(1)), restarted);
}

TEST_F(BypassServersTest, LeaveAndRevokeForgetAndHoldOffOffers) {
  BypassServers s(limits);
  s.accept(kServer, kMac, t0);
  EXPECT_TRUE(s.forget(kServer, t0 + seconds(1)));
  EXPECT_FALSE(s.forget(kServer, t0 + seconds(1)));
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(2)), D::kTranslate);
  EXPECT_EQ(s.on_client_packet(kServer, t0 + seconds(61)), D::kOffer);
  EXPECT_FALSE(s.forget(0x01020304, t0));
}

TEST_F(BypassServersTest, TheTableIsBounded) {
  limits.max_servers = 2;
  BypassServers s(limits);
  EXPECT_EQ(s.on_client_packet(1, t0), D::kOffer);
  EXPECT_EQ(s.on_client_packet(2, t0), D::kOffer);
  EXPECT_EQ(s.on_client_packet(3, t0), D::kTableFull);
  EXPECT_FALSE(s.accept(3, kMac, t0));  // spoofed keepalives cannot grow it either
  EXPECT_EQ(s.tracked(), 2u);
  // Unanswered offers are forgotten after their interval: room again.
  s.expire(t0 + seconds(60));
  EXPECT_EQ(s.tracked(), 0u);
  EXPECT_EQ(s.on_client_packet(3, t0 + seconds(60)), D::kOffer);
}

TEST_F(BypassServersTest, ExpiryKeepsLiveServers) {
  BypassServers s(limits);
  s.accept(kServer, kMac, t0);
  s.on_client_packet(7, t0);
  s.expire(t0 + seconds(29));
  EXPECT_EQ(s.tracked(), 2u);
  ASSERT_EQ(s.accepted(t0 + seconds(29)).size(), 1u);
  EXPECT_EQ(s.accepted(t0 + seconds(29))[0].server, kServer);
  s.expire(t0 + seconds(60));
  EXPECT_EQ(s.tracked(), 0u);
}

TEST_F(BypassServersTest, OffersShareAGlobalRate) {
  limits.offer_rate = 3;
  BypassServers s(limits);
  int offers = 0, limited = 0;
  for (std::uint32_t server = 1; server <= 10; ++server) {
    const D d = s.on_client_packet(server, t0);
    offers += d == D::kOffer;
    limited += d == D::kRateLimited;
  }
  EXPECT_EQ(offers, 3);
  EXPECT_EQ(limited, 7);
  // A rate-limited server is offered as soon as the rate allows, not after
  // its offer interval: it was never offered.
  EXPECT_EQ(s.on_client_packet(4, t0 + seconds(1)), D::kOffer);
}

}  // namespace
}  // namespace gn::nat64
