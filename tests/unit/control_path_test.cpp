// Path choice (docs/protocol.md 6.5, 6.6): liveness, learning, preference.
#include <gtest/gtest.h>

#include <algorithm>

#include "control/path.hpp"

using namespace gn;
using namespace gn::control;
using namespace std::chrono_literals;

namespace {

net::Endpoint ep(const char* a, std::uint16_t port) {
  return {*net::IpAddress::parse(a), port};
}

struct Fixture {
  explicit Fixture(Mode mode) : paths(mode, Timing{}, [this] { return ++next_id; }) {}
  Message reply_to(const ProbeOut& p, PathKind peer_uses = PathKind::kNat64) {
    Message m;
    m.type = MessageType::kReply;
    m.probe_id = p.probe_id;
    m.in_use = peer_uses;
    m.observed = ep("192.0.2.99", 1234);
    return m;
  }
  Message probe(PathKind sent_on, PathKind in_use = PathKind::kNone) {
    Message m;
    m.type = MessageType::kProbe;
    m.sent_on = sent_on;
    m.in_use = in_use;
    return m;
  }
  const ProbeOut* find(const std::vector<ProbeOut>& v, PathKind k) {
    for (const auto& p : v)
      if (p.kind == k) return &p;
    return nullptr;
  }
  std::uint64_t next_id = 100;
  PathSelector paths;
  Clock::time_point t0 = Clock::now();
};

const auto kDirect = ep("2001:db8:b::1", 6081);
const auto kPath = ep("2001:db8:64::cb00:715a", 6081);
const auto kClient = ep("2001:db8:64::c633:6407", 40001);

}  // namespace

TEST(PathSelector, SymmetricAlwaysSendsOnPathAndReportsLiveness) {
  Fixture f(Mode::kSymmetric);
  f.paths.set_nat64(kPath, true);
  ASSERT_TRUE(f.paths.chosen());  // before any reply: data is never held back
  EXPECT_EQ(f.paths.chosen()->target, kPath);
  EXPECT_TRUE(f.paths.chosen()->route_option);
  auto out = f.paths.poll(f.t0);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(f.paths.on_reply(ep("2001:db8:64::cb00:715a", 6081), f.reply_to(out[0]), f.t0 + 10ms));
  EXPECT_TRUE(f.paths.chosen()->alive(3));
  EXPECT_EQ(f.paths.label(), "symmetric");
  EXPECT_EQ(f.paths.chosen()->observed, ep("192.0.2.99", 1234));
}

TEST(PathSelector, RepliesMustMatchAnOutstandingProbe) {
  Fixture f(Mode::kSymmetric);
  f.paths.set_nat64(kPath, true);
  auto out = f.paths.poll(f.t0);
  Message r = f.reply_to(out[0]);
  r.probe_id ^= 1;
  EXPECT_FALSE(f.paths.on_reply(kPath, r, f.t0 + 1ms));
  EXPECT_TRUE(f.paths.on_reply(kPath, f.reply_to(out[0]), f.t0 + 1ms));
  EXPECT_FALSE(f.paths.on_reply(kPath, f.reply_to(out[0]), f.t0 + 2ms));  // a replay
  // From another address: not this path's reply.
  auto again = f.paths.poll(f.t0 + 5s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_FALSE(f.paths.on_reply(ep("2001:db8:66::1", 6081), f.reply_to(again[0]), f.t0 + 5s));
}

TEST(PathSelector, MissesRetryAtOnceThenDeclareDeadAndRecover) {
  Fixture f(Mode::kSymmetric);
  f.paths.set_nat64(kPath, true);
  auto out = f.paths.poll(f.t0);
  f.paths.on_reply(kPath, f.reply_to(out[0]), f.t0 + 1ms);
  // Next keepalive at 5 s, unanswered; retries at 6 s and 7 s.
  EXPECT_TRUE(f.paths.poll(f.t0 + 4s).empty());
  EXPECT_EQ(f.paths.poll(f.t0 + 5s).size(), 1u);
  EXPECT_EQ(f.paths.poll(f.t0 + 6s).size(), 1u);
  EXPECT_TRUE(f.paths.chosen()->alive(3));
  EXPECT_EQ(f.paths.poll(f.t0 + 7s).size(), 1u);
  EXPECT_TRUE(f.paths.poll(f.t0 + 8s).empty());
  EXPECT_FALSE(f.paths.chosen()->alive(3));  // dead 8 s after the last good reply at most
  // Dead paths are probed at the keepalive pace and come back on a reply.
  auto later = f.paths.poll(f.t0 + 12s);
  ASSERT_EQ(later.size(), 1u);
  f.paths.on_reply(kPath, f.reply_to(later[0]), f.t0 + 12s + 1ms);
  EXPECT_TRUE(f.paths.chosen()->alive(3));
}

TEST(PathSelector, ServerLearnsOnlyAfterTheChallengeIsAnswered) {
  Fixture f(Mode::kServer);
  EXPECT_EQ(f.paths.chosen(), nullptr);
  EXPECT_EQ(f.paths.label(), "none");
  auto challenge = f.paths.on_probe(kClient, f.probe(PathKind::kNat64), f.t0);
  ASSERT_TRUE(challenge);
  EXPECT_EQ(challenge->target, kClient);
  EXPECT_EQ(f.paths.chosen(), nullptr);                                            // a probe alone moves nothing
  EXPECT_FALSE(f.paths.on_probe(kClient, f.probe(PathKind::kNat64), f.t0 + 1ms));  // one challenge at a time
  // The reply must come from exactly the challenged source.
  EXPECT_FALSE(f.paths.on_reply(ep("2001:db8:64::c633:6407", 40002), f.reply_to(*challenge), f.t0 + 2ms));
  EXPECT_TRUE(f.paths.on_reply(kClient, f.reply_to(*challenge), f.t0 + 3ms));
  ASSERT_TRUE(f.paths.chosen());
  EXPECT_EQ(f.paths.chosen()->target, kClient);
  EXPECT_EQ(f.paths.label(), "server");
  EXPECT_EQ(f.paths.learned_source(), kClient);
}

TEST(PathSelector, ServerFollowsRebindingAndIgnoresUnansweredChallenges) {
  Fixture f(Mode::kServer);
  auto c1 = f.paths.on_probe(kClient, f.probe(PathKind::kNat64), f.t0);
  f.paths.on_reply(kClient, f.reply_to(*c1), f.t0 + 1ms);
  auto gen = f.paths.generation();
  // A forged or replayed probe from elsewhere: the challenge goes unanswered.
  auto attacker = ep("2001:db8:64::cb00:7101", 6081);
  auto c2 = f.paths.on_probe(attacker, f.probe(PathKind::kNat64), f.t0 + 1s);
  ASSERT_TRUE(c2);
  f.paths.poll(f.t0 + 3s);  // challenge timed out
  EXPECT_EQ(f.paths.chosen()->target, kClient);
  EXPECT_EQ(f.paths.generation(), gen);
  // The client's NAT mapping changes: new port, answered challenge, moved.
  auto moved = ep("2001:db8:64::c633:6407", 40999);
  auto c3 = f.paths.on_probe(moved, f.probe(PathKind::kNat64), f.t0 + 4s);
  ASSERT_TRUE(c3);
  EXPECT_TRUE(f.paths.on_reply(moved, f.reply_to(*c3), f.t0 + 4s + 1ms));
  EXPECT_EQ(f.paths.chosen()->target, moved);
  EXPECT_GT(f.paths.generation(), gen);
}

TEST(PathSelector, ChallengesAreRateLimited) {
  Timing t;
  t.challenges_per_second = 3;
  t.reply_timeout = 20ms;
  std::uint64_t id = 0;
  PathSelector p(Mode::kServer, t, [&] { return ++id; });
  const auto t0 = Clock::now();
  auto probe_from = [&](int i, Clock::time_point now) {
    // Time only moves forward: the poll first lets the previous challenge
    // time out (one challenge at a time), so only the rate limit refuses.
    p.poll(now);
    return p.on_probe(ep("2001:db8::1", static_cast<std::uint16_t>(1000 + i)), Message{}, now).has_value();
  };
  int sent = 0;
  for (int i = 0; i < 10; ++i)  // ten new sources within half a second
    if (probe_from(i, t0 + i * 50ms)) ++sent;
  EXPECT_EQ(sent, 3);
  EXPECT_EQ(p.challenges_limited(), 7u);
  // A second later the window has passed: challenges go out again.
  EXPECT_TRUE(probe_from(10, t0 + 1s + 500ms));
}

TEST(PathSelector, AutoPrefersDirectThenPathThenLearnedAndFallsBack) {
  Fixture f(Mode::kAuto);
  f.paths.set_direct(kDirect);
  f.paths.set_nat64(kPath, true);
  EXPECT_EQ(f.paths.chosen_kind(), PathKind::kNat64);  // nothing answers yet: try PATH
  auto out = f.paths.poll(f.t0);
  ASSERT_EQ(out.size(), 2u);
  f.paths.on_reply(kPath, f.reply_to(*f.find(out, PathKind::kNat64)), f.t0 + 5ms);
  EXPECT_EQ(f.paths.chosen_kind(), PathKind::kNat64);
  EXPECT_EQ(f.paths.label(), "symmetric");
  f.paths.on_reply(kDirect, f.reply_to(*f.find(out, PathKind::kDirect)), f.t0 + 6ms);
  EXPECT_EQ(f.paths.chosen_kind(), PathKind::kDirect);
  EXPECT_EQ(f.paths.label(), "direct");
  // Direct dies (three missed replies); the NAT64 path keeps answering.
  for (int s = 5; s <= 8; ++s) {
    for (const auto& p : f.paths.poll(f.t0 + std::chrono::seconds(s)))
      if (p.kind == PathKind::kNat64) f.paths.on_reply(kPath, f.reply_to(p), f.t0 + std::chrono::seconds(s) + 1ms);
  }
  EXPECT_EQ(f.paths.chosen_kind(), PathKind::kNat64);
  EXPECT_NE(f.paths.reason().find("direct dead"), std::string::npos) << f.paths.reason();
}

TEST(PathSelector, AutoLabelsClientWhenThePeerLearnedUs) {
  Fixture f(Mode::kAuto);
  f.paths.set_nat64(kPath, true);
  auto out = f.paths.poll(f.t0);
  f.paths.on_reply(kPath, f.reply_to(out[0], PathKind::kLearned), f.t0 + 5ms);
  EXPECT_EQ(f.paths.label(), "client");
}

TEST(PathSelector, AutoLearnsAsServerWhenItsOwnPathIsDead) {
  Fixture f(Mode::kAuto);
  f.paths.set_nat64(ep("2001:db8:64::c000:201", 6081), true);  // an unreachable PATH
  // A probe via PATH's address teaches nothing: that is a known source.
  EXPECT_FALSE(f.paths.on_probe(ep("2001:db8:64::c000:201", 6081), f.probe(PathKind::kNat64), f.t0));
  auto c = f.paths.on_probe(kClient, f.probe(PathKind::kNat64), f.t0);
  ASSERT_TRUE(c);
  f.paths.on_reply(kClient, f.reply_to(*c), f.t0 + 1ms);
  EXPECT_EQ(f.paths.chosen_kind(), PathKind::kLearned);
  EXPECT_EQ(f.paths.label(), "server");
}

TEST(PathSelector, SuspicionProbesAtOnceInsteadOfAtTheNextKeepalive) {
  Fixture f(Mode::kSymmetric);
  f.paths.set_nat64(kPath, true);
  auto out = f.paths.poll(f.t0);
  f.paths.on_reply(kPath, f.reply_to(out[0]), f.t0 + 1ms);
  EXPECT_TRUE(f.paths.poll(f.t0 + 2s).empty());  // keepalive not due until 5 s
  f.paths.suspect(f.t0 + 2s);
  EXPECT_EQ(f.paths.poll(f.t0 + 2s).size(), 1u);
  f.paths.suspect(f.t0 + 2s + 100ms);  // one probe outstanding is enough
  EXPECT_TRUE(f.paths.poll(f.t0 + 2s + 100ms).empty());
  // Unanswered: dead after reply_timeout * dead_after, at 5 s, not 8 s.
  f.paths.poll(f.t0 + 3s);
  f.paths.poll(f.t0 + 4s);
  f.paths.poll(f.t0 + 5s);
  EXPECT_FALSE(f.paths.chosen()->alive(3));
}

TEST(PathSelector, AutoChecksItsPathWhenThePeerDisagreesAboutDirect) {
  Fixture f(Mode::kAuto);
  f.paths.set_direct(kDirect);
  f.paths.set_nat64(kPath, true);
  auto out = f.paths.poll(f.t0);
  for (const auto& p : out)
    f.paths.on_reply(p.kind == PathKind::kDirect ? kDirect : kPath, f.reply_to(p, PathKind::kDirect), f.t0 + 1ms);
  ASSERT_EQ(f.paths.chosen_kind(), PathKind::kDirect);
  // The move to direct made every candidate due, so the peer hears "in use"
  // at once; answer those too.
  auto told = f.paths.poll(f.t0 + 2ms);
  EXPECT_GE(told.size(), 1u);
  for (const auto& p : told)
    f.paths.on_reply(p.kind == PathKind::kDirect ? kDirect : kPath, f.reply_to(p, PathKind::kDirect), f.t0 + 3ms);
  EXPECT_TRUE(f.paths.poll(f.t0 + 2s).empty());
  // The peer's probe says it left the direct path: ours is checked now.
  f.paths.on_probe(kPath, f.probe(PathKind::kNat64, PathKind::kNat64), f.t0 + 2s);
  auto again = f.paths.poll(f.t0 + 2s);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].kind, PathKind::kDirect);
}

namespace {
const auto kPathA = ep("2001:db8:64:a::c000:207", 6081);  // 192.0.2.7 in NAT64 a's prefix
const auto kPathB = ep("2001:db8:64:b::c000:207", 6081);  // ... and in NAT64 b's

// Answers every probe of `out` on the targets in `up`.
void answer(Fixture& f, const std::vector<ProbeOut>& out, const std::vector<net::Endpoint>& up, Clock::time_point at) {
  for (const auto& p : out)
    if (std::find(up.begin(), up.end(), p.target) != up.end()) f.paths.on_reply(p.target, f.reply_to(p), at);
}
}  // namespace

TEST(PathSelector, ClientWithTwoNat64sUsesTheFirstAliveAndMovesBothWays) {
  Fixture f(Mode::kClient);
  f.paths.set_nat64(std::vector<net::Endpoint>{kPathA, kPathB}, true);
  // Before any reply: the first, so data is never held back.
  ASSERT_TRUE(f.paths.chosen());
  EXPECT_EQ(f.paths.chosen()->target, kPathA);
  EXPECT_EQ(f.paths.candidates().size(), 2u);
  EXPECT_TRUE(f.paths.accepts_address(kPathB.address));
  // Both probed; both answer: a, the first, carries data.
  auto t = f.t0;
  auto out = f.paths.poll(t);
  ASSERT_EQ(out.size(), 2u);
  answer(f, out, {kPathA, kPathB}, t + 5ms);
  EXPECT_EQ(f.paths.chosen()->target, kPathA);
  const auto generation = f.paths.generation();
  // NAT64 a dies: three missed replies and data moves to b, within
  // keepalive + dead_after * reply_timeout.
  for (int i = 0; i < 40 && f.paths.chosen()->target == kPathA; ++i) {
    t += 250ms;
    answer(f, f.paths.poll(t), {kPathB}, t + 5ms);
  }
  EXPECT_EQ(f.paths.chosen()->target, kPathB);
  EXPECT_LE(t - f.t0, Timing{}.keepalive + Timing{}.dead_after * Timing{}.reply_timeout + 500ms);
  EXPECT_GT(f.paths.generation(), generation);
  EXPECT_NE(f.paths.reason().find("PATH [2001:db8:64:b::c000:207]:6081 answers probes; passed over: PATH "
                                  "[2001:db8:64:a::c000:207]:6081 dead (3 missed replies)"),
            std::string::npos)
      << f.paths.reason();
  EXPECT_NE(f.paths.candidates()[0]->last_miss, Clock::time_point{});
  // a is still probed at the keepalive pace; when it answers, data moves back.
  for (int i = 0; i < 80 && f.paths.chosen()->target == kPathB; ++i) {
    t += 250ms;
    answer(f, f.paths.poll(t), {kPathA, kPathB}, t + 5ms);
  }
  EXPECT_EQ(f.paths.chosen()->target, kPathA);
  // Both dead: stay on the last one.
  for (int i = 0; i < 80; ++i) {
    t += 250ms;
    f.paths.poll(t);
  }
  ASSERT_TRUE(f.paths.chosen());
  EXPECT_EQ(f.paths.chosen()->target, kPathA);
  EXPECT_NE(f.paths.reason().find("staying on the last one"), std::string::npos) << f.paths.reason();
}

TEST(PathSelector, SettingThePathsAgainKeepsWhatIsKnownOfTheSameTargets) {
  Fixture f(Mode::kClient);
  f.paths.set_nat64(std::vector<net::Endpoint>{kPathA, kPathB}, true);
  auto out = f.paths.poll(f.t0);
  answer(f, out, {kPathB}, f.t0 + 5ms);
  // Rediscovered: b stays (answered), a is gone, c is new.
  const auto kPathC = ep("2001:db8:64:c::c000:207", 6081);
  f.paths.set_nat64(std::vector<net::Endpoint>{kPathB, kPathC}, true);
  ASSERT_EQ(f.paths.candidates().size(), 2u);
  EXPECT_TRUE(f.paths.candidates()[0]->answered);
  EXPECT_FALSE(f.paths.candidates()[1]->answered);
  EXPECT_FALSE(f.paths.accepts_address(kPathA.address));
  EXPECT_EQ(f.paths.chosen()->target, kPathB);
}

TEST(PathSelector, AutoWithTwoNat64sPrefersDirectThenEachPathInOrder) {
  Fixture f(Mode::kAuto);
  f.paths.set_direct(kDirect);
  f.paths.set_nat64(std::vector<net::Endpoint>{kPathA, kPathB}, true);
  auto t = f.t0;
  auto out = f.paths.poll(t);
  EXPECT_EQ(out.size(), 3u);
  answer(f, out, {kPathB}, t + 5ms);
  EXPECT_EQ(f.paths.chosen()->target, kPathB);
  for (int i = 0; i < 40 && f.paths.chosen()->target != kDirect; ++i) {
    t += 250ms;
    answer(f, f.paths.poll(t), {kDirect, kPathA, kPathB}, t + 5ms);
  }
  EXPECT_EQ(f.paths.chosen()->target, kDirect);
}
