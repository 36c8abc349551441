// Control messages (docs/protocol.md 6.2-6.4): layout, MAC, replay window.
#include <gtest/gtest.h>

#include "control/message.hpp"
#include "geneve/control.hpp"
#include "net/protocol.hpp"
#include "util/error.hpp"

using namespace gn;
using namespace gn::control;

namespace {

const std::array<std::uint8_t, 6> kMac = {0x02, 0, 0, 0, 0, 1};

net::IpAddress addr(const char* s) {
  return *net::IpAddress::parse(s);
}

Message probe() {
  Message m;
  m.type = MessageType::kProbe;
  m.sender = addr("2001:db8:a::1");
  m.receiver = addr("2001:db8:b::1");
  m.counter = 0x0102030405060708ull;
  m.probe_id = 0x1112131415161718ull;
  m.sent_on = PathKind::kNat64;
  m.in_use = PathKind::kDirect;
  return m;
}

Key key_of(std::uint8_t b) {
  Key k;
  k.fill(b);
  return k;
}

}  // namespace

TEST(ControlMessage, ProbeLayoutIsTheSpecified) {
  auto f = build_frame(probe(), 42, kMac, nullptr);
  ASSERT_EQ(f.size(), geneve::kControlHeaderLen + kProbeBodyLen);
  EXPECT_TRUE(geneve::is_control_frame(f));
  EXPECT_EQ(f[19], 1);                  // type probe
  EXPECT_EQ((f[20] << 8) | f[21], 52);  // body length
  const std::uint8_t* b = f.data() + 22;
  EXPECT_EQ(b[0], 0x20);  // sender 2001:db8:a::1
  EXPECT_EQ(b[15], 0x01);
  EXPECT_EQ(b[32], 0x01);  // counter, big-endian
  EXPECT_EQ(b[39], 0x08);
  EXPECT_EQ(b[40], 0x11);  // probe id
  EXPECT_EQ(b[48], 2);     // sent on NAT64 path
  EXPECT_EQ(b[49], 1);     // in use: direct
  EXPECT_EQ(b[50], 0);     // no MAC
}

TEST(ControlMessage, ReplyRoundTripsWithIpv4Observed) {
  Message m = probe();
  m.type = MessageType::kReply;
  m.observed = net::Endpoint{addr("198.51.100.7"), 40000};
  auto f = build_frame(m, 42, kMac, nullptr);
  ASSERT_EQ(f.size(), geneve::kControlHeaderLen + kReplyBodyLen);
  // IPv4 travels IPv4-mapped.
  EXPECT_EQ(f[22 + 52 + 10], 0xff);
  EXPECT_EQ(f[22 + 52 + 12], 198);
  auto r = parse_frame(f);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_mac);
  EXPECT_EQ(r->message.type, MessageType::kReply);
  EXPECT_EQ(r->message.sender, m.sender);
  EXPECT_EQ(r->message.counter, m.counter);
  EXPECT_EQ(r->message.probe_id, m.probe_id);
  ASSERT_TRUE(r->message.observed);
  EXPECT_EQ(*r->message.observed, *m.observed);
  EXPECT_TRUE(r->message.observed->address.is_v4());
}

TEST(ControlMessage, MacVerifiesOnlyWithTheRightKeyAndVni) {
  Key k = key_of(7);
  auto f = build_frame(probe(), 42, kMac, &k);
  ASSERT_EQ(f.size(), geneve::kControlHeaderLen + kProbeBodyLen + kMacLen);
  auto r = parse_frame(f);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->has_mac);
  EXPECT_EQ(verify(*r, 42, &k), DecodeError::kOk);
  Key other = key_of(8);
  EXPECT_EQ(verify(*r, 42, &other), DecodeError::kBadMac);
  EXPECT_EQ(verify(*r, 43, &k), DecodeError::kBadMac);   // moved to another tunnel
  EXPECT_EQ(verify(*r, 42, nullptr), DecodeError::kOk);  // no key: taken as is
}

TEST(ControlMessage, EveryCoveredByteChangesTheMac) {
  Key k = key_of(9);
  auto good = build_frame(probe(), 42, kMac, &k);
  for (std::size_t i = net::kEthernetHeaderLen; i < geneve::kControlHeaderLen + kProbeBodyLen; ++i) {
    auto f = good;
    f[i] ^= 0x40;
    auto r = parse_frame(f);
    if (!r) continue;  // framing broken: not even parsed
    EXPECT_NE(verify(*r, 42, &k), DecodeError::kOk) << "byte " << i;
  }
}

TEST(ControlMessage, WithoutMacIsUnauthenticatedWhereAKeyIsConfigured) {
  Key k = key_of(7);
  auto r = parse_frame(build_frame(probe(), 42, kMac, nullptr));
  ASSERT_TRUE(r);
  EXPECT_EQ(verify(*r, 42, &k), DecodeError::kUnauthenticated);
}

TEST(ControlMessage, MalformedAreRejected) {
  Key k = key_of(7);
  auto good = build_frame(probe(), 42, kMac, &k);
  // Every truncation fails: framing, body fields or the MAC the flag promises.
  for (std::size_t n = 0; n < good.size(); ++n) {
    std::vector<std::uint8_t> f(good.begin(), good.begin() + static_cast<long>(n));
    if (n >= geneve::kControlHeaderLen) {  // keep the length field honest
      std::size_t body = n - geneve::kControlHeaderLen;
      f[20] = static_cast<std::uint8_t>(body >> 8);
      f[21] = static_cast<std::uint8_t>(body);
    }
    EXPECT_FALSE(parse_frame(f)) << "length " << n;
  }
  auto bad_version = good;
  bad_version[18] = 2;
  EXPECT_FALSE(parse_frame(bad_version));
  auto bad_type = good;
  bad_type[19] = 9;
  EXPECT_FALSE(parse_frame(bad_type));
  auto bad_kind = good;
  bad_kind[22 + 48] = 4;
  EXPECT_FALSE(parse_frame(bad_kind));
  // Ethernet padding after the body is ignored.
  auto padded = good;
  padded.resize(padded.size() + 20, 0);
  EXPECT_TRUE(parse_frame(padded));
}

TEST(ControlMessage, KeysParseFromBase64Only) {
  std::string text = generate_key_base64();
  EXPECT_EQ(text.size(), 44u);
  Key k = parse_key(text + "\n", "test");
  EXPECT_EQ(parse_key(text, "test"), k);
  EXPECT_THROW(parse_key("c2hvcnQ=", "test"), UsageError);
  EXPECT_THROW(parse_key("not base64 at all!!", "test"), UsageError);
}

TEST(ReplayWindow, AcceptsEachCounterOnceAndNothingTooOld) {
  ReplayWindow w;
  EXPECT_TRUE(w.accept(1000));
  EXPECT_FALSE(w.accept(1000));
  EXPECT_TRUE(w.accept(1002));
  EXPECT_TRUE(w.accept(1001));  // reordered, inside the window
  EXPECT_FALSE(w.accept(1001));
  EXPECT_TRUE(w.accept(1100));
  EXPECT_FALSE(w.accept(1002));  // now below the window
  EXPECT_TRUE(w.accept(1100 - 63));
  EXPECT_FALSE(w.accept(1100 - 64));
  EXPECT_TRUE(w.accept(1000000));  // a jump clears the window
  EXPECT_FALSE(w.accept(1100));
}

TEST(CounterSource, StartsFromTheClockAndGrows) {
  CounterSource a;
  std::uint64_t first = a.next();
  EXPECT_GT(first, 1'600'000'000ull * 1'000'000'000ull);  // after 2020
  EXPECT_EQ(a.next(), first + 1);
  CounterSource b;  // a restart starts above everything sent before
  EXPECT_GT(b.next(), first + 1);
}
