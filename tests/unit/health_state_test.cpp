// One prefix's health: alive after `rise` answers, dead after `fall`
// losses, late and stray replies ignored, the clock made up.
#include <gtest/gtest.h>

#include "health/prefix_health.hpp"

namespace gn::health {
namespace {

using std::chrono::milliseconds;

class HealthTest : public ::testing::Test {
 protected:
  HealthPolicy policy{.rise = 2, .fall = 3, .interval = milliseconds(1000), .timeout = milliseconds(500)};
  PrefixHealth h{policy};
  Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  std::uint16_t seq = 0;

  // One probe at t0 + at_ms, answered after rtt_ms (or lost: rtt_ms < 0,
  // found lost by a tick after the timeout). Returns whether the health
  // changed.
  bool probe(int at_ms, int rtt_ms) {
    const auto at = t0 + milliseconds(at_ms);
    bool changed = h.sent(++seq, at);
    if (rtt_ms >= 0) return h.reply(seq, at + milliseconds(rtt_ms)) || changed;
    return h.tick(at + policy.timeout) || changed;
  }
};

TEST_F(HealthTest, StartsUnknownAndDueAtOnce) {
  EXPECT_EQ(h.health(), Health::kUnknown);
  EXPECT_FALSE(h.decided());
  EXPECT_LE(h.next_probe(), t0);
  EXPECT_EQ(h.deadline(), Clock::time_point::max());
}

TEST_F(HealthTest, AliveAfterRiseAnswers) {
  EXPECT_FALSE(probe(0, 3));
  EXPECT_EQ(h.health(), Health::kUnknown);
  EXPECT_TRUE(probe(1000, 4));
  EXPECT_EQ(h.health(), Health::kAlive);
  EXPECT_EQ(h.last_rtt()->count(), 4000);
  EXPECT_EQ(h.next_probe(), t0 + milliseconds(2000));
  EXPECT_EQ(h.deadline(), Clock::time_point::max());  // answered: nothing outstanding
  EXPECT_FALSE(probe(2000, 1));                       // no change: stays alive
  EXPECT_EQ(h.replies(), 3u);
  EXPECT_EQ(h.probes_sent(), 3u);
  EXPECT_EQ(h.changed_at(), t0 + milliseconds(1004));
}

TEST_F(HealthTest, DeadAfterFallLossesInARowOnly) {
  probe(0, 1);
  probe(1000, 1);
  ASSERT_EQ(h.health(), Health::kAlive);
  EXPECT_FALSE(probe(2000, -1));
  EXPECT_FALSE(probe(3000, -1));
  EXPECT_EQ(h.consecutive_failures(), 2u);
  EXPECT_FALSE(probe(4000, 1));  // an answer resets the count
  EXPECT_EQ(h.consecutive_failures(), 0u);
  EXPECT_FALSE(probe(5000, -1));
  EXPECT_FALSE(probe(6000, -1));
  EXPECT_EQ(h.health(), Health::kAlive);
  EXPECT_TRUE(probe(7000, -1));
  EXPECT_EQ(h.health(), Health::kDead);
  ASSERT_TRUE(h.last_failure());
  EXPECT_EQ(h.last_failure()->reason, "timeout");
  EXPECT_EQ(h.last_failure()->at, t0 + milliseconds(7500));
  // Dead: one answer is not enough to come back, two are.
  EXPECT_FALSE(probe(8000, 2));
  EXPECT_EQ(h.health(), Health::kDead);
  EXPECT_TRUE(probe(9000, 2));
  EXPECT_EQ(h.health(), Health::kAlive);
}

TEST_F(HealthTest, UnknownGoesStraightToDead) {
  probe(0, -1);
  probe(1000, -1);
  EXPECT_TRUE(probe(2000, -1));
  EXPECT_EQ(h.health(), Health::kDead);
  EXPECT_TRUE(h.decided());
}

TEST_F(HealthTest, LateWrongAndDuplicateRepliesCountForNothing) {
  h.sent(7, t0);
  EXPECT_FALSE(h.reply(6, t0 + milliseconds(1)));    // an older probe's
  EXPECT_FALSE(h.reply(7, t0 + milliseconds(501)));  // after the timeout
  EXPECT_EQ(h.replies(), 0u);
  EXPECT_TRUE(h.tick(t0 + milliseconds(501)) == false);  // fall 3: one loss changes nothing
  EXPECT_EQ(h.consecutive_failures(), 1u);
  EXPECT_FALSE(h.tick(t0 + milliseconds(900)));  // already counted, not twice
  EXPECT_EQ(h.consecutive_failures(), 1u);
  h.sent(8, t0 + milliseconds(1000));
  EXPECT_FALSE(h.reply(8, t0 + milliseconds(1010)));
  EXPECT_FALSE(h.reply(8, t0 + milliseconds(1011)));  // a duplicate
  EXPECT_EQ(h.replies(), 1u);
}

TEST_F(HealthTest, UnansweredProbeIsLostWhenTheNextIsSent) {
  // No tick came between (a busy loop): sending the next one loses it.
  h.sent(1, t0);
  h.sent(2, t0 + milliseconds(1000));
  EXPECT_EQ(h.consecutive_failures(), 1u);
}

TEST_F(HealthTest, FailureWithReasonFailsAtOnce) {
  h.sent(1, t0);
  h.failed("destination unreachable (code 0) from 2001:db8:d::1", t0 + milliseconds(2));
  EXPECT_EQ(h.consecutive_failures(), 1u);
  EXPECT_EQ(h.last_failure()->reason, "destination unreachable (code 0) from 2001:db8:d::1");
  EXPECT_EQ(h.deadline(), Clock::time_point::max());
  EXPECT_FALSE(h.reply(1, t0 + milliseconds(3)));  // too late: it was lost
  // The next probe is still due on time.
  EXPECT_EQ(h.next_probe(), t0 + milliseconds(1000));
}

TEST(HealthName, Names) {
  EXPECT_STREQ(health_name(Health::kUnknown), "unknown");
  EXPECT_STREQ(health_name(Health::kAlive), "alive");
  EXPECT_STREQ(health_name(Health::kDead), "dead");
}

}  // namespace
}  // namespace gn::health
