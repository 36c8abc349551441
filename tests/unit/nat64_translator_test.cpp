// The NAT64 translator end to end on packets: RFC 7915 header and checksum
// translation, ICMP errors, RFC 6146 state, and the GENEVE routing-option
// extension. Packets are built here with a from-scratch checksum (not
// nat64/checksum.hpp), and every packet the translator emits is checked
// against that independent implementation.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "geneve/codec.hpp"
#include "nat64/status.hpp"
#include "nat64/translator.hpp"
#include "nat64_test_support.hpp"

namespace gn::nat64 {
namespace {

using namespace test;  // NOLINT(google-build-using-namespace): the test vocabulary
using Bytes = std::vector<std::uint8_t>;
using namespace std::chrono_literals;

// ---- header and checksum translation ------------------------------------------

TEST_F(Nat64Test, Udp6to4HandCheckedVector) {
  // [2001:db8:1::2]:5000 -> [2001:db8:64::203.0.113.10]:7000, payload "hi".
  ASSERT_EQ(run(udp6(kHost, 5000, kRemote6, 7000, {'h', 'i'})).fate, Fate::kForward);
  // Expected IPv4 packet, derived by hand:
  //  header 45 00 | total 20+10=30 (001e) | id 0001 (first id) | flags 0000
  //  (30 <= 1260: DF clear, RFC 7915 5.1) | ttl 64-1=63 (3f) proto 11 |
  //  checksum: 4500+001e+0001+0000+3f11+c633+6407+cb00+710a = 2ea74 -> ea76,
  //  ~ = 1589 | src c6.33.64.07 | dst cb.00.71.0a
  //  UDP: port 5000 (1388) kept (free, in range) | 7000 (1b58) | len 000a |
  //  checksum over pseudo c633+6407+cb00+710a+0011+000a and 1388+1b58+000a+6869
  //  = 2fdb2 -> fdb4, ~ = 024b | 68 69
  Bytes expected = {0x45, 0x00, 0x00, 0x1e, 0x00, 0x01, 0x00, 0x00, 0x3f, 0x11, 0x15, 0x89, 0xc6, 0x33, 0x64,
                    0x07, 0xcb, 0x00, 0x71, 0x0a, 0x13, 0x88, 0x1b, 0x58, 0x00, 0x0a, 0x02, 0x4b, 0x68, 0x69};
  EXPECT_EQ(out, expected);
  expect_valid_v4(out);
  EXPECT_EQ(count(Counter::translated_6to4), 1u);
  EXPECT_EQ(count(Counter::bindings_created), 1u);
  EXPECT_EQ(count(Counter::sessions_created), 1u);
}

TEST_F(Nat64Test, Udp4to6ReplyAndTrafficClass) {
  open(kHost, 5000, kRemote6, 7000);
  Bytes in = udp4(kRemote, 7000, kPool, 5000, {'o', 'k', '!'}, 40);
  in[1] = 0xb8;  // DSCP EF; fix the header checksum
  put16(in, 10, 0);
  put16(in, 10, ref_checksum(sub(in, 0, 20)));
  ASSERT_EQ(run(in).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(sub(out, 8, 16), kRemote6);
  EXPECT_EQ(sub(out, 24, 16), kHost);
  EXPECT_EQ(out[7], 39);                                    // hop limit = TTL - 1
  EXPECT_EQ(((out[0] & 0x0f) << 4) | (out[1] >> 4), 0xb8);  // traffic class copied
  EXPECT_EQ(get16(out, 40), 7000u);
  EXPECT_EQ(get16(out, 42), 5000u);
  EXPECT_EQ(tail(out, 48), (Bytes{'o', 'k', '!'}));
  EXPECT_EQ(count(Counter::translated_4to6), 1u);
}

TEST_F(Nat64Test, ChecksumZeroFromIpv4IsComputed) {
  open(kHost, 5000, kRemote6, 7000);
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, {1, 2, 3, 4, 5}, 64, false, true)).fate, Fate::kForward);
  expect_valid_v6(out);  // non-zero and correct
}

TEST_F(Nat64Test, CorruptUdpStaysCorrupt) {
  // Incremental update: a datagram damaged before us must still fail its
  // checksum after translation (a recomputation would hide the damage).
  Bytes in = udp6(kHost, 5000, kRemote6, 7000, {'a', 'b', 'c', 'd'});
  in.back() ^= 0x01;
  ASSERT_EQ(run(in).fate, Fate::kForward);
  EXPECT_NE(ref_sum(cat({pseudo4(kPool, kRemote, 12, 17), tail(out, 20)})), 0xffff);
}

TEST_F(Nat64Test, UdpChecksumZeroFromIpv6IsDropped) {
  Bytes in = udp6(kHost, 5000, kRemote6, 7000, {'a'});
  put16(in, 46, 0);
  expect_drop(in, Counter::bad_checksum);
}

TEST_F(Nat64Test, LargePacketGetsDfAndIdsAdvance) {
  Bytes data(1300, 0x5a);
  ASSERT_EQ(run(udp6(kHost, 5000, kRemote6, 7000, data)).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(get16(out, 6), 0x4000u);  // 1328 > 1260: DF
  unsigned id1 = get16(out, 4);
  run(udp6(kHost, 5000, kRemote6, 7000, {'a'}));
  EXPECT_EQ(get16(out, 6), 0u);
  EXPECT_NE(get16(out, 4), id1);
}

TEST_F(Nat64Test, EchoRequestAndReply) {
  // ICMPv6 echo request id 0x4242 seq 7.
  Bytes req = icmp6(kHost, kRemote6, 128, 0, (0x4242u << 16) | 7, {'p', 'i', 'n', 'g'});
  ASSERT_EQ(run(req).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(out[9], 1);
  EXPECT_EQ(out[20], 8);  // echo request
  unsigned pool_id = get16(out, 24);
  EXPECT_EQ(pool_id, 0x4242u);  // identifier kept when free
  EXPECT_EQ(get16(out, 26), 7u);
  // The reply comes back to the host with its identifier.
  ASSERT_EQ(run(icmp4(kRemote, kPool, 0, 0, (pool_id << 16) | 7, {'p', 'i', 'n', 'g'})).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(out[40], 129);
  EXPECT_EQ(get16(out, 44), 0x4242u);
  EXPECT_EQ(sub(out, 24, 16), kHost);
  // A reply from another address is filtered.
  expect_drop(icmp4(kRemote2, kPool, 0, 0, (pool_id << 16) | 7, {}), Counter::no_session);
}

TEST_F(Nat64Test, GatewayAnswersPings) {
  ASSERT_EQ(run(icmp6(kHost, kGateway6, 128, 0, 0x00010001, {'x'})).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(out[40], 129);
  EXPECT_EQ(sub(out, 8, 16), kGateway6);
  ASSERT_EQ(run(icmp4(kRemote, kPool, 8, 0, 0x00010001, {'y'})).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(out[20], 0);
  EXPECT_EQ(sub(out, 12, 4), kPool);
  EXPECT_EQ(count(Counter::echo_answered), 2u);
  EXPECT_EQ(t->table().session_count(), 0u);
}

// ---- hop limit, MTU, ICMP errors ------------------------------------------------

TEST_F(Nat64Test, HopLimitOneGetsTimeExceededFromGatewayAddress) {
  Bytes in = udp6(kHost, 5000, kRemote6, 7000, {'a'}, 1);
  ASSERT_EQ(run(in).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(sub(out, 8, 16), kGateway6);
  EXPECT_EQ(sub(out, 24, 16), kHost);
  EXPECT_EQ(out[40], 3);  // time exceeded
  EXPECT_EQ(out[41], 0);
  EXPECT_EQ(tail(out, 48), in);  // the whole offending packet is quoted
  EXPECT_EQ(count(Counter::time_exceeded_sent), 1u);
  EXPECT_EQ(t->table().session_count(), 0u);
}

TEST_F(Nat64Test, TtlOneGetsTimeExceededFromPool) {
  open(kHost, 5000, kRemote6, 7000);
  Bytes in = udp4(kRemote, 7000, kPool, 5000, {'a'}, 1);
  ASSERT_EQ(run(in).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(sub(out, 12, 4), kPool);
  EXPECT_EQ(sub(out, 16, 4), kRemote);
  EXPECT_EQ(out[20], 11);
  EXPECT_EQ(tail(out, 28), in);
}

TEST_F(Nat64Test, ErrorsAboutErrorsAreNeverAnswered) {
  Bytes in = icmp6(kHost, kRemote6, 1, 4, 0, Bytes(48, 0), 1);
  expect_drop(in, Counter::hop_limit_exceeded);
}

TEST_F(Nat64Test, DfPacketTooBigForIpv6GetsFragmentationNeeded) {
  TranslatorConfig c = default_config();
  c.mtu = 1300;
  build(c);
  open(kHost, 5000, kRemote6, 7000);
  // 20 + 8 + 1262 = 1290 bytes of IPv4 -> 1310 of IPv6 > 1300.
  Bytes in = udp4(kRemote, 7000, kPool, 5000, Bytes(1262, 1), 64, true);
  ASSERT_EQ(run(in).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(out[20], 3);
  EXPECT_EQ(out[21], 4);
  EXPECT_EQ(get16(out, 26), 1280u);  // next-hop MTU = 1300 - 20
  EXPECT_EQ(sub(out, 28, 20), sub(in, 0, 20));
  EXPECT_LE(out.size(), 576u);
  EXPECT_EQ(count(Counter::too_big_sent), 1u);
  // Without DF: IPv6 fragments of at most 1280 bytes (RFC 7915 4).
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, Bytes(1262, 1), 64, false)).fate, Fate::kForward);
  ASSERT_EQ(all_written.size(), 2u);
  EXPECT_EQ(all_written[0].size(), 1280u - (1280u - 48u) % 8u);
  EXPECT_EQ(all_written[0][6], 44);
  // 1280 of IPv6 fits.
  EXPECT_EQ(run(udp4(kRemote, 7000, kPool, 5000, Bytes(1252, 1), 64, true)).fate, Fate::kForward);
  EXPECT_EQ(out.size(), 1300u);
}

TEST_F(Nat64Test, Ipv6PacketTooBigForIpv4GetsPacketTooBig) {
  TranslatorConfig c = default_config();
  c.mtu = 1280;
  build(c);
  // 40 + 8 + 1260 = 1308 bytes of IPv6 -> 1288 of IPv4 > 1280 (possible when
  // the TUN device's MTU was raised behind our back).
  ASSERT_EQ(run(udp6(kHost, 5000, kRemote6, 7000, Bytes(1260, 2))).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(out[40], 2);
  EXPECT_EQ(get16(out, 44) << 16 | get16(out, 46), 1300u);
  EXPECT_LE(out.size(), 1280u);
  EXPECT_EQ(sub(out, 8, 16), kGateway6);
}

TEST_F(Nat64Test, FragmentationNeededBecomesPacketTooBigForTheRightHost) {
  open(kHost2, 6000, kRemote26, 53);  // another host, to be sure we pick the right one
  unsigned pool_port = open(kHost, 5000, kRemote6, 7000);
  // The packet we sent, as a router quotes it (here: whole).
  Bytes sent = out;
  // Router 192.0.2.254 reports MTU 1400.
  Bytes err = icmp4(kRouter, kPool, 3, 4, 1400, sent, 60);
  ASSERT_EQ(run(err).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(sub(out, 8, 16), a6("2001:db8:64::c000:2fe"));  // router inside the prefix
  EXPECT_EQ(sub(out, 24, 16), kHost);
  EXPECT_EQ(out[7], 59);
  EXPECT_EQ(out[40], 2);                                    // packet too big
  EXPECT_EQ(get16(out, 44) << 16 | get16(out, 46), 1420u);  // 1400 + 20
  // The embedded packet is translated back to what the host sent.
  Bytes inner = tail(out, 48);
  ASSERT_EQ(inner.size(), 40u + 9u);
  EXPECT_EQ(sub(inner, 8, 16), kHost);
  EXPECT_EQ(sub(inner, 24, 16), kRemote6);
  EXPECT_EQ(get16(inner, 4), 9u);  // payload length of the original
  EXPECT_EQ(inner[6], 17);
  EXPECT_EQ(get16(inner, 40), 5000u);
  EXPECT_EQ(get16(inner, 42), 7000u);
  // The inner UDP checksum is again right for the IPv6 pseudo-header.
  EXPECT_EQ(ref_sum(cat({pseudo6(kHost, kRemote6, 9, 17), tail(inner, 40)})), 0xffff);
  (void)pool_port;
}

TEST_F(Nat64Test, FragmentationNeededWithZeroMtuUsesPlateau) {
  open(kHost, 5000, kRemote6, 7000);
  Bytes sent = out;
  ASSERT_EQ(run(icmp4(kRouter, kPool, 3, 4, 0, sent)).fate, Fate::kForward);
  // Original total length 29 -> greatest plateau below it is 68 -> 88, clamped to 1280.
  EXPECT_EQ(get16(out, 44) << 16 | get16(out, 46), 1280u);
}

TEST_F(Nat64Test, PortUnreachableIsTranslatedAndTruncatedInnerKeepsLengths) {
  open(kHost, 5000, kRemote6, 7000);
  Bytes sent = out;
  // A remote quoting only the header and 8 bytes (RFC 792 minimum).
  Bytes quoted = sub(sent, 0, 28);
  ASSERT_EQ(run(icmp4(kRemote, kPool, 3, 3, 0, quoted)).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(out[40], 1);
  EXPECT_EQ(out[41], 4);  // port unreachable
  Bytes inner = tail(out, 48);
  EXPECT_EQ(get16(inner, 4), 9u);  // the original's length, not the quoted one
  EXPECT_EQ(inner.size(), 48u);
}

TEST_F(Nat64Test, Icmp4ErrorWithoutSessionIsDropped) {
  open(kHost, 5000, kRemote6, 7000);
  Bytes sent = out;
  put16(sent, 22, 7001);  // another remote port: no such session
  expect_drop(icmp4(kRemote, kPool, 3, 3, 0, sent), Counter::icmp_error_no_session);
  expect_drop(icmp4(kRemote, kPool, 5, 0, 0, sent), Counter::icmp_untranslatable);  // redirect
}

TEST_F(Nat64Test, Icmp6ErrorFromHostReachesTheRemote) {
  open(kHost, 5000, kRemote6, 7000);
  // The remote sent us a datagram; the host answers "port unreachable".
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, {'d', 'a', 't', 'a'})).fate, Fate::kForward);
  Bytes delivered = out;
  ASSERT_EQ(run(icmp6(kHost, kRemote6, 1, 4, 0, delivered)).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(sub(out, 12, 4), kPool);
  EXPECT_EQ(sub(out, 16, 4), kRemote);
  EXPECT_EQ(out[20], 3);
  EXPECT_EQ(out[21], 3);
  Bytes inner = tail(out, 28);
  EXPECT_EQ(ref_sum(sub(inner, 0, 20)), 0xffff);
  EXPECT_EQ(sub(inner, 12, 4), kRemote);
  EXPECT_EQ(sub(inner, 16, 4), kPool);
  EXPECT_EQ(get16(inner, 2), 20u + 12u);
  EXPECT_EQ(get16(inner, 22), 5000u);
  EXPECT_EQ(ref_sum(cat({pseudo4(kRemote, kPool, 12, 17), tail(inner, 20)})), 0xffff);
}

TEST_F(Nat64Test, PacketTooBigFromIpv6SideBecomesFragmentationNeeded) {
  open(kHost, 5000, kRemote6, 7000);
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, {'d'})).fate, Fate::kForward);
  Bytes delivered = out;
  ASSERT_EQ(run(icmp6(a6("2001:db8:1::1"), kRemote6, 2, 0, 1400, delivered)).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(out[20], 3);
  EXPECT_EQ(out[21], 4);
  EXPECT_EQ(get16(out, 26), 1380u);   // 1400 - 20
  EXPECT_EQ(sub(out, 12, 4), kPool);  // a router on the IPv6 side appears as the pool address
}

TEST_F(Nat64Test, TimeExceededForEchoIsTranslated) {
  ASSERT_EQ(run(icmp6(kHost, kRemote6, 128, 0, (0x99u << 16) | 1, {'z'})).fate, Fate::kForward);
  Bytes sent = out;
  ASSERT_EQ(run(icmp4(kRouter, kPool, 11, 0, 0, sent)).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(out[40], 3);
  Bytes inner = tail(out, 48);
  EXPECT_EQ(inner[6], 58);
  EXPECT_EQ(inner[40], 128);
  EXPECT_EQ(get16(inner, 44), 0x99u);
  EXPECT_EQ(ref_sum(cat({pseudo6(kHost, kRemote6, 9, 58), tail(inner, 40)})), 0xffff);
}

// ---- RFC 6146 state ----------------------------------------------------------------

TEST_F(Nat64Test, EndpointIndependentMapping) {
  unsigned p1 = open(kHost, 5000, kRemote6, 7000);
  unsigned p2 = open(kHost, 5000, kRemote26, 8000);
  EXPECT_EQ(p1, p2);
  // Another host with the same port gets another pool port.
  unsigned p3 = open(kHost2, 5000, kRemote6, 7000);
  EXPECT_NE(p3, p1);
  EXPECT_GE(p3, 1024u);
  EXPECT_EQ(t->table().binding_count(), 2u);
  EXPECT_EQ(t->table().session_count(), 3u);
}

TEST_F(Nat64Test, AddressDependentFiltering) {
  unsigned port = open(kHost, 5000, kRemote6, 7000);
  // Same remote address, another port: allowed (a new session).
  EXPECT_EQ(run(udp4(kRemote, 9999, kPool, port, {'a'})).fate, Fate::kForward);
  EXPECT_EQ(t->table().session_count(), 2u);
  // Another address: filtered.
  expect_drop(udp4(kRemote2, 7000, kPool, port, {'a'}), Counter::no_session);
  // Nobody behind this port at all.
  expect_drop(udp4(kRemote, 7000, kPool, 4444, {'a'}), Counter::no_session);
}

TEST_F(Nat64Test, SessionTimeoutsFollowTheClock) {
  open(kHost, 5000, kRemote6, 7000);
  now += 29s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 1u);
  now += 2s;  // 31 s without a reply: the 30 s initial timeout ran out
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 0u);
  EXPECT_EQ(t->table().binding_count(), 0u);
  EXPECT_EQ(count(Counter::sessions_expired), 1u);
  expect_drop(udp4(kRemote, 7000, kPool, 5000, {'a'}), Counter::no_session);

  // With a reply, the session lives 120 s from the last packet.
  open(kHost, 5000, kRemote6, 7000);
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, {'a'})).fate, Fate::kForward);
  now += 100s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 1u);
  open(kHost, 5000, kRemote6, 7000);  // refresh
  now += 100s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 1u);
  now += 21s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 0u);
}

TEST_F(Nat64Test, IcmpSessionsLastSixtySeconds) {
  run(icmp6(kHost, kRemote6, 128, 0, 0x00050001, {}));
  now += 59s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 1u);
  now += 2s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 0u);
}

TEST_F(Nat64Test, TableFullRefusesNewSessionsAndKeepsOldOnes) {
  TranslatorConfig c = default_config();
  c.max_sessions = 2;
  build(c);
  open(kHost, 5000, kRemote6, 7000);
  open(kHost, 5001, kRemote6, 7000);
  expect_drop(udp6(kHost, 5002, kRemote6, 7000, {'a'}), Counter::table_full);
  expect_drop(udp6(kHost, 5000, kRemote26, 7000, {'a'}), Counter::table_full);  // new session, old binding
  // Live sessions keep working.
  EXPECT_EQ(run(udp6(kHost, 5000, kRemote6, 7000, {'a'})).fate, Fate::kForward);
  EXPECT_EQ(run(udp4(kRemote, 7000, kPool, 5001, {'a'})).fate, Fate::kForward);
  EXPECT_EQ(t->table().binding_count(), 2u);
  // Once one expires (5000: never answered, 30 s; 5001 was answered: 120 s),
  // there is room again.
  now += 31s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 1u);
  EXPECT_EQ(run(udp6(kHost, 5002, kRemote6, 7000, {'a'})).fate, Fate::kForward);
}

// ---- the extension -----------------------------------------------------------------

TEST_F(Nat64Test, ExtensionDeliversToTheOptionEndpoint) {
  Bytes payload = geneve(route_to(kHost, 6081));
  Bytes in = udp4(kRemote, 40000, kPool, 6081, payload);
  ASSERT_EQ(run(in).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(sub(out, 8, 16), kRemote6);
  EXPECT_EQ(sub(out, 24, 16), kHost);
  EXPECT_EQ(get16(out, 40), 40000u);
  EXPECT_EQ(get16(out, 42), 6081u);
  EXPECT_EQ(tail(out, 48), payload);  // the UDP payload is never modified
  EXPECT_EQ(count(Counter::extension_delivered), 1u);
  EXPECT_EQ(count(Counter::translated_4to6), 0u);  // one fate per packet
  EXPECT_EQ(count(Counter::bindings_created_extension), 1u);
  // The reply leaves from pool:6081.
  ASSERT_EQ(run(udp6(kHost, 6081, kRemote6, 40000, {'r'})).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(get16(out, 20), 6081u);
  EXPECT_EQ(sub(out, 12, 4), kPool);
  // Further datagrams match the session: the option is not consulted.
  EXPECT_EQ(run(udp4(kRemote, 40000, kPool, 6081, {'n', 'o', 'o', 'p', 't'})).fate, Fate::kForward);
  EXPECT_EQ(count(Counter::extension_delivered), 1u);
  EXPECT_EQ(count(Counter::translated_4to6), 1u);
}

TEST_F(Nat64Test, ExtensionRouteToAnotherPortOfTheHost) {
  ASSERT_EQ(run(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost, 7777)))).fate, Fate::kForward);
  EXPECT_EQ(get16(out, 42), 7777u);
  ASSERT_EQ(run(udp6(kHost, 7777, kRemote6, 6081, {'r'})).fate, Fate::kForward);
  EXPECT_EQ(get16(out, 20), 6081u);
}

TEST_F(Nat64Test, ExtensionRejects) {
  expect_drop(udp4(kRemote, 6081, kPool, 6081, geneve(std::nullopt)), Counter::no_session);
  expect_drop(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost), 2)), Counter::route_duplicate);
  expect_drop(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(a6("2001:db8:2::1")))), Counter::route_not_allowed);
  // An address inside the NAT64 prefix would loop through us, whatever --allow says.
  expect_drop(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kRemote26))), Counter::route_not_allowed);
  expect_drop(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost, 0))), Counter::route_malformed);
  // Malformed: a routing option with 4 words of data instead of 5.
  geneve::HeaderBuilder h(1);
  Bytes short_data(16, 0x20);
  h.add_option(0x0162, 0x01, short_data);
  Bytes malformed = cat({Bytes(h.bytes().begin(), h.bytes().end()), Bytes(14, 0)});
  expect_drop(udp4(kRemote, 6081, kPool, 6081, malformed), Counter::route_malformed);
  // Not GENEVE at all: version 1.
  Bytes bad = geneve(route_to(kHost));
  bad[0] |= 0x40;
  expect_drop(udp4(kRemote, 6081, kPool, 6081, bad), Counter::geneve_invalid);
  expect_drop(udp4(kRemote, 6081, kPool, 6081, {1, 2, 3}), Counter::geneve_invalid);
  // The option only works on the GENEVE port.
  expect_drop(udp4(kRemote, 6081, kPool, 6082, geneve(route_to(kHost))), Counter::no_session);
  EXPECT_EQ(t->table().session_count(), 0u);
}

TEST_F(Nat64Test, ExtensionOffWithoutAllowList) {
  TranslatorConfig c = default_config();
  c.allow.clear();
  build(c);
  EXPECT_FALSE(t->extension_enabled());
  expect_drop(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost))), Counter::no_session);
}

TEST_F(Nat64Test, ExtensionRateLimitPerSource) {
  // Every accepted option spends a token of its IPv4 source, even when the
  // state cannot be created. kHost2 holds pool port 6081, so each attempt
  // from an unknown source reaches the limiter (then conflicts).
  open(kHost2, 6081, kRemote26, 6081);
  Bytes src = a4("203.0.113.40");
  auto attempt = [&](const Bytes& from) { return udp4(from, 5555, kPool, 6081, geneve(route_to(kHost))); };
  expect_drop(attempt(src), Counter::binding_conflict);  // burst 2: token 1
  expect_drop(attempt(src), Counter::binding_conflict);  // token 2
  expect_drop(attempt(src), Counter::rate_limited);      // empty
  // Another source has its own bucket.
  expect_drop(attempt(a4("203.0.113.41")), Counter::binding_conflict);
  // One second later (rate 1/s) one more token.
  now += 1s;
  expect_drop(attempt(src), Counter::binding_conflict);
  expect_drop(attempt(src), Counter::rate_limited);
  // Options that are rejected earlier never spend tokens.
  now += 10s;
  for (int i = 0; i < 5; ++i)
    expect_drop(udp4(src, 5555, kPool, 6081, geneve(route_to(a6("2001:db8:9::1")))), Counter::route_not_allowed);
  expect_drop(attempt(src), Counter::binding_conflict);
}

TEST_F(Nat64Test, BindingConflict) {
  // kHost2 sent from port 6081 first: it holds pool port 6081.
  EXPECT_EQ(open(kHost2, 6081, kRemote26, 6081), 6081u);
  expect_drop(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost))), Counter::binding_conflict);
  // Naming the holder itself works (a session is added to its binding).
  EXPECT_EQ(run(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost2)))).fate, Fate::kForward);
  EXPECT_EQ(sub(out, 24, 16), kHost2);
  // Once the holder's sessions are gone, the port is free for another endpoint.
  now += 200s;
  t->on_timer();
  EXPECT_EQ(run(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost)))).fate, Fate::kForward);
  EXPECT_EQ(sub(out, 24, 16), kHost);
}

TEST_F(Nat64Test, GenevePortIsNotHandedOutDynamically) {
  // Port 6081 taken by one host; a second host sending from 6081 gets
  // another port; no dynamic allocation ever lands on 6081.
  EXPECT_EQ(open(kHost, 6081, kRemote6, 6081), 6081u);
  EXPECT_NE(open(kHost2, 6081, kRemote6, 6081), 6081u);
}

// ---- drops -----------------------------------------------------------------------

TEST_F(Nat64Test, EachDropReasonIsCounted) {
  expect_drop({}, Counter::malformed);
  expect_drop({0x45, 0, 0}, Counter::malformed);
  Bytes trunc = udp6(kHost, 1, kRemote6, 2, {'a', 'b'});
  trunc.pop_back();
  expect_drop(trunc, Counter::malformed);
  Bytes badsum = udp4(kRemote, 1, kPool, 2, {'a'});
  badsum[10] ^= 0xff;
  expect_drop(badsum, Counter::bad_checksum);
  expect_drop(ipv4(kRemote, kPool, 17, Bytes(16, 0), 64, false, 0, 0x2000), Counter::fragment_held);
  expect_drop(ipv4(kRemote, kPool, 17, Bytes(16, 0), 64, false, 0, 0x0001), Counter::fragment_overlap);
  expect_drop(ipv4(kRemote, kPool, 17, Bytes(12, 0), 64, false, 0, 0x2010), Counter::fragment_invalid);
  expect_drop(ipv6(kHost, kRemote6, 44, {17, 0, 0, 1, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8}), Counter::fragment_held);
  expect_drop(ipv6(kHost, kRemote6, 132, Bytes(20, 0)), Counter::unsupported_protocol);
  expect_drop(ipv4(kRemote, kPool, 132, Bytes(20, 0)), Counter::unsupported_protocol);
  // Routing header with segments left = 1.
  expect_drop(ipv6(kHost, kRemote6, 43, {17, 0, 0, 1, 0, 0, 0, 0}), Counter::unsupported_extension_header);
  expect_drop(udp6(kHost, 1, a6("2001:db8:65::1"), 2, {'a'}), Counter::not_in_prefix);
  expect_drop(udp4(kRemote, 1, a4("198.51.100.8"), 2, {'a'}), Counter::not_pool);
  expect_drop(udp6(kRemote26, 1, kRemote6, 2, {'a'}), Counter::bad_source);
  expect_drop(udp4(a4("224.0.0.1"), 1, kPool, 2, {'a'}), Counter::bad_source);
  expect_drop(udp6(kHost, 1, a6("2001:db8:64::e000:1"), 2, {'a'}), Counter::bad_destination);
  expect_drop(udp6(kHost, 1, kGateway6, 2, {'a'}), Counter::hairpin);
  expect_drop(icmp6(kHost, kRemote6, 135, 0, 0, Bytes(16, 0)), Counter::icmp_untranslatable);
  expect_drop(icmp4(kRemote, kPool, 13, 0, 0, Bytes(12, 0)), Counter::icmp_untranslatable);
  Bytes bad_icmp = icmp6(kHost, kRemote6, 128, 0, 1, {});
  bad_icmp.back() ^= 1;
  expect_drop(bad_icmp, Counter::bad_checksum);
  // Hop-by-hop options are skipped, not a reason to drop.
  Bytes hbh_udp = tail(udp6(kHost, 5000, kRemote6, 7000, {'h'}), 40);
  EXPECT_EQ(run(ipv6(kHost, kRemote6, 0, cat({{17, 0, 1, 4, 0, 0, 0, 0}, hbh_udp}))).fate, Fate::kForward);
  expect_valid_v4(out);
}

TEST_F(Nat64Test, PortsExhausted) {
  // Every pool port held: TableLimits come from the config, so fill a
  // minimal range through the table directly.
  StateTable table(TableLimits{100, 2000, 2001, 6081}, Timeouts{});
  auto h = *net::IpAddress::parse("2001:db8:1::2");
  EXPECT_EQ(table.outbound(Proto::kUdp, h, 1, 1, 1, now).error, StateError::kOk);
  EXPECT_EQ(table.outbound(Proto::kUdp, h, 2, 1, 1, now).error, StateError::kOk);
  EXPECT_EQ(table.outbound(Proto::kUdp, h, 3, 1, 1, now).error, StateError::kPortsExhausted);
}

// ---- other prefix lengths ---------------------------------------------------------

class Nat64PrefixTest : public Nat64Test, public ::testing::WithParamInterface<std::pair<const char*, const char*>> {};

TEST_P(Nat64PrefixTest, TranslatesWithEmbeddedAddress) {
  auto [prefix, remote_text] = GetParam();
  TranslatorConfig c = default_config();
  c.prefix = net::Nat64Prefix::parse(prefix);
  build(c);
  Bytes remote6 = a6(remote_text);  // 203.0.113.10 embedded per RFC 6052 2.2
  ASSERT_EQ(run(udp6(kHost, 5000, remote6, 7000, {'p'})).fate, Fate::kForward);
  expect_valid_v4(out);
  EXPECT_EQ(sub(out, 16, 4), kRemote);
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, {'q'})).fate, Fate::kForward);
  expect_valid_v6(out);
  EXPECT_EQ(sub(out, 8, 16), remote6);
  EXPECT_EQ(out[8 + 8], 0);  // the u-octet (bits 64..71) is zero
  // The gateway's own address is the pool in the same prefix.
  EXPECT_EQ(t->ipv6_address(), c.prefix.embed(*net::IpAddress::parse("198.51.100.7")));
}

INSTANTIATE_TEST_SUITE_P(Rfc6052, Nat64PrefixTest,
                         ::testing::Values(std::make_pair("3fff:64::/32", "3fff:64:cb00:710a::"),
                                           std::make_pair("2001:db8:100::/40", "2001:db8:1cb:71:a::"),
                                           std::make_pair("2001:db8:122::/48", "2001:db8:122:cb00:71:a00::"),
                                           std::make_pair("2001:db8:122:300::/56", "2001:db8:122:3cb:0:710a::"),
                                           std::make_pair("2001:db8:122:344::/64", "2001:db8:122:344:cb:71:a00:0"),
                                           std::make_pair("64:ff9b:1::/96", "64:ff9b:1::cb00:710a")));

// Symmetric mode: both endpoints send from 6081 to the peer gateway's
// pool:6081. The endpoint's own first packet must take pool:6081, so the
// peer's packets (routing option naming it) find the same binding later.
TEST_F(Nat64Test, GenevePortSenderFirstThenPeerOption) {
  EXPECT_EQ(open(kHost, 6081, kRemote6, 6081), 6081u);
  ASSERT_EQ(run(udp4(kRemote, 6081, kPool, 6081, geneve(route_to(kHost)))).fate, Fate::kForward);
  EXPECT_EQ(get16(out, 42), 6081u);
  EXPECT_EQ(count(Counter::binding_conflict), 0u);
  EXPECT_EQ(count(Counter::bindings_created_extension), 0u);  // matched the session
  EXPECT_EQ(t->table().binding_count(), 1u);
}

TEST_F(Nat64Test, GenevePortOnlyForAllowedEndpoints) {
  // 2001:db8:2::1 is outside --allow: it may not hold pool:6081 ...
  EXPECT_NE(open(a6("2001:db8:2::1"), 6081, kRemote6, 6081), 6081u);
  // ... which stays free for an endpoint the extension may deliver to.
  EXPECT_EQ(open(kHost, 6081, kRemote26, 6081), 6081u);
  // Without the extension there is nobody to keep it for: port preserved.
  TranslatorConfig c = default_config();
  c.allow.clear();
  build(c);
  EXPECT_EQ(open(a6("2001:db8:2::1"), 6081, kRemote6, 6081), 6081u);
}

// ---- packet fates ---------------------------------------------------------------

std::uint64_t sum_of_fates(const Counters& c) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < kFateCount; ++i) n += c.get(static_cast<Counter>(i));
  return n;
}

// Every packet read ends in exactly one fate, whatever happens to it, and
// events (bindings and sessions created) are no packet's fate.
TEST_F(Nat64Test, FatesAddUpToThePacketsRead) {
  Bytes badsum = udp4(kRemote, 1, kPool, 2, {'a'});
  badsum[10] ^= 0xff;
  Bytes trunc = udp6(kHost, 1, kRemote6, 2, {'a', 'b'});
  trunc.pop_back();
  const std::vector<Bytes> mix = {
      udp6(kHost, 5000, kRemote6, 7000, {'o', 'u', 't'}),                            // translated_6to4, new state
      udp4(kRemote, 7000, kPool, 5000, {'b', 'a', 'c', 'k'}),                        // translated_4to6
      udp4(kRemote, 40000, kPool, 6081, geneve(route_to(kHost, 6081))),              // extension_delivered
      udp4(kRemote, 40000, kPool, 6081, {'a', 'g', 'a', 'i', 'n'}),                  // translated_4to6 (session)
      icmp6(kHost, kGateway6, 128, 0, 0x00010001, {'p'}),                            // echo_answered
      udp6(kHost, 5001, kRemote6, 7000, {'t'}, 1),                                   // time_exceeded_sent
      {},                                                                            // malformed
      {0x45, 0, 0},                                                                  // malformed
      trunc,                                                                         // malformed
      badsum,                                                                        // bad_checksum
      ipv6(kHost, kRemote6, 44, {17, 0, 0, 1, 0, 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8}),  // fragment_held
      udp4(kRemote, 1, kPool, 9999, {'x'}),                                          // no_session
      udp6(kHost, 1, a6("2001:db8:65::1"), 2, {'a'}),                                // not_in_prefix
      udp4(kRemote2, 40001, kPool, 6081, geneve(std::nullopt)),                      // no_session (no option)
  };
  std::uint64_t read = 0;
  // Twice: once written, once with the TUN device refusing every write.
  for (bool refuse : {false, true}) {
    tun_refuses = refuse;
    for (const Bytes& p : mix) {
      std::uint64_t before = sum_of_fates(t->counters());
      int writes_before = writes;
      Verdict v = run(p);
      ++read;
      EXPECT_EQ(sum_of_fates(t->counters()), before + 1) << "packet " << read << ": " << counter_name(v.counter);
      EXPECT_TRUE(is_fate(v.counter)) << counter_name(v.counter);
      // Refused writes, and only they, end as tun_write_failed.
      bool wrote = writes != writes_before;
      EXPECT_EQ(v.counter == Counter::tun_write_failed, wrote && refuse) << counter_name(v.counter);
      EXPECT_EQ(v.fate == Fate::kForward, wrote && !refuse) << counter_name(v.counter);
    }
  }
  EXPECT_EQ(sum_of_fates(t->counters()), read);
  EXPECT_EQ(t->counters().packets(), read);
  // What the first round forwarded, the second could not write.
  EXPECT_EQ(count(Counter::translated_6to4), 1u);
  EXPECT_EQ(count(Counter::extension_delivered), 1u);
  EXPECT_EQ(count(Counter::translated_4to6), 2u);
  EXPECT_EQ(count(Counter::echo_answered), 1u);
  EXPECT_EQ(count(Counter::time_exceeded_sent), 1u);
  EXPECT_EQ(count(Counter::tun_write_failed), 6u);
  EXPECT_GT(count(Counter::sessions_created), 0u);  // events happened, and are not fates
  EXPECT_FALSE(is_fate(Counter::sessions_created));
}

// ---- fragments -------------------------------------------------------------------

// Pieces of a packet built here, cut by hand at the given byte boundaries
// of its payload: calls piece(offset, bytes, more) for each.
template <typename Piece>
std::vector<Bytes> cut(const Bytes& payload, std::initializer_list<std::size_t> cuts, Piece piece) {
  std::vector<Bytes> out;
  std::size_t begin = 0;
  std::vector<std::size_t> ends(cuts);
  ends.push_back(payload.size());
  for (std::size_t end : ends) {
    out.push_back(piece(begin, sub(payload, begin, end - begin), end < payload.size()));
    begin = end;
  }
  return out;
}
// IPv4 fragments (identification 0x1234, as ipv4()).
std::vector<Bytes> cut4(const Bytes& packet, std::initializer_list<std::size_t> cuts) {
  return cut(tail(packet, 20), cuts, [&](std::size_t off, const Bytes& data, bool more) {
    return ipv4(sub(packet, 12, 4), sub(packet, 16, 4), packet[9], data, packet[8], false, 0,
                (more ? 0x2000 : 0) | static_cast<unsigned>(off / 8));
  });
}
// IPv6 fragments with a Fragment header.
std::vector<Bytes> cut6(const Bytes& packet, unsigned id, std::initializer_list<std::size_t> cuts) {
  return cut(tail(packet, 40), cuts, [&](std::size_t off, const Bytes& data, bool more) {
    Bytes frag = cat({{packet[6], 0}, be16(static_cast<unsigned>(off) | (more ? 1 : 0)), be32(id)});
    return ipv6(sub(packet, 8, 16), sub(packet, 24, 16), 44, cat({frag, data}), packet[7]);
  });
}

TEST_F(Nat64Test, Ipv4FragmentsLeaveAsIpv6FragmentsOfAtMost1280) {
  unsigned port = open(kHost, 5000, kRemote6, 7000);
  Bytes data(3000);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7);
  auto pieces = cut4(udp4(kRemote, 7000, kPool, port, data), {1480, 2960});
  // Out of order: the datagram completes with its first fragment.
  expect_drop(pieces[1], Counter::fragment_held);
  expect_drop(pieces[2], Counter::fragment_held);
  ASSERT_EQ(run(pieces[0]).fate, Fate::kForward);
  EXPECT_EQ(count(Counter::translated_4to6), 1u);
  // 40 + 3008 bytes of IPv6 in pieces of 48 + 1232 at most.
  ASSERT_EQ(all_written.size(), 3u);
  EXPECT_EQ(count(Counter::fragments_written), 2u);
  Bytes upper;
  for (std::size_t i = 0; i < all_written.size(); ++i) {
    const Bytes& f = all_written[i];
    EXPECT_LE(f.size(), 1280u);
    EXPECT_EQ(f[6], 44);   // Fragment header
    EXPECT_EQ(f[40], 17);  // UDP inside
    EXPECT_EQ(get16(f, 4), f.size() - 40);
    EXPECT_EQ(sub(f, 44, 4), sub(all_written[0], 44, 4)) << "one identification";
    unsigned off_flags = get16(f, 42);
    EXPECT_EQ(off_flags & ~7u, upper.size()) << "offset of piece " << i;
    EXPECT_EQ(off_flags & 1u, i + 1 < all_written.size() ? 1u : 0u) << "M flag of piece " << i;
    Bytes piece = tail(f, 48);
    upper.insert(upper.end(), piece.begin(), piece.end());
  }
  // Reassembled, the pieces are the translation of the whole datagram.
  EXPECT_EQ(upper, tail(udp6(kRemote6, 7000, kHost, 5000, data), 40));
  EXPECT_EQ(count(Counter::fragment_held), 2u);
}

TEST_F(Nat64Test, Ipv6FragmentsLeaveAsIpv4FragmentsWithinTheMtu) {
  unsigned port = open(kHost, 5000, kRemote6, 7000);
  Bytes data(3000, 0x5a);
  Bytes whole = udp6(kHost, 5000, kRemote6, 7000, data);
  auto pieces = cut6(whole, 77, {1232, 2464});
  expect_drop(pieces[0], Counter::fragment_held);
  expect_drop(pieces[1], Counter::fragment_held);
  ASSERT_EQ(run(pieces[2]).fate, Fate::kForward);
  EXPECT_EQ(count(Counter::translated_6to4), 2u);
  // 20 + 3008 bytes of IPv4 in pieces of at most the 1500-byte MTU, with DF
  // clear: the sender allowed fragmentation.
  ASSERT_EQ(all_written.size(), 3u);
  Bytes upper;
  for (std::size_t i = 0; i < all_written.size(); ++i) {
    const Bytes& f = all_written[i];
    EXPECT_LE(f.size(), 1500u);
    EXPECT_EQ(ref_sum(sub(f, 0, 20)), 0xffff) << "header checksum of piece " << i;
    EXPECT_EQ(get16(f, 2), f.size());
    EXPECT_EQ(get16(f, 4), get16(all_written[0], 4)) << "one identification";
    unsigned flags = get16(f, 6);
    EXPECT_EQ(flags & 0x4000u, 0u) << "DF of piece " << i;
    EXPECT_EQ((flags & 0x1fffu) * 8, upper.size()) << "offset of piece " << i;
    EXPECT_EQ((flags & 0x2000u) != 0, i + 1 < all_written.size()) << "MF of piece " << i;
    Bytes piece = tail(f, 20);
    upper.insert(upper.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(upper, tail(udp4(kPool, port, kRemote, 7000, data), 20));
}

TEST_F(Nat64Test, FragmentedDatagramThatFitsLeavesWhole) {
  unsigned port = open(kHost, 5000, kRemote6, 7000);
  Bytes data(600, 3);
  auto pieces = cut6(udp6(kHost, 5000, kRemote6, 7000, data), 5, {304});
  expect_drop(pieces[0], Counter::fragment_held);
  ASSERT_EQ(run(pieces[1]).fate, Fate::kForward);
  ASSERT_EQ(all_written.size(), 1u);
  EXPECT_EQ(tail(out, 20), tail(udp4(kPool, port, kRemote, 7000, data), 20));
  // An atomic fragment (RFC 6946) is a whole packet.
  auto atomic = cut6(udp6(kHost, 5000, kRemote6, 7000, {'a'}), 6, {});
  ASSERT_EQ(run(atomic[0]).fate, Fate::kForward);
  EXPECT_EQ(out.size(), 29u);
  EXPECT_EQ(out[28], 'a');
}

TEST_F(Nat64Test, FragmentsAreBoundedAndExpire) {
  TranslatorConfig c = default_config();
  c.reassembly.max_datagrams = 2;
  build(c);
  open(kHost, 5000, kRemote6, 7000);
  auto first = [](unsigned id) { return cut6(udp6(kHost, 5000, kRemote6, 7000, Bytes(100, 1)), id, {16})[0]; };
  expect_drop(first(1), Counter::fragment_held);
  expect_drop(first(2), Counter::fragment_held);
  expect_drop(first(3), Counter::fragment_buffer_full);
  EXPECT_EQ(t->reassembly().datagrams(), 2u);
  // Incomplete datagrams go after the timeout, and make room.
  now += 6s;
  t->on_timer();
  EXPECT_EQ(count(Counter::fragments_expired), 2u);
  EXPECT_EQ(t->reassembly().datagrams(), 0u);
  expect_drop(first(3), Counter::fragment_held);
  // Reassembly off: fragments are dropped as such.
  c.reassembly.max_datagrams = 0;
  build(c);
  expect_drop(first(4), Counter::fragment);
  expect_drop(ipv4(kRemote, kPool, 17, Bytes(16, 0), 64, false, 0, 0x2000), Counter::fragment);
}

// The status document keeps the two kinds apart, and its fates add up.
TEST_F(Nat64Test, StatusShowsFatesAndEventsApart) {
  run(udp6(kHost, 5000, kRemote6, 7000, {'o'}));
  run(udp4(kRemote, 1, kPool, 9999, {'x'}));
  tun_refuses = true;
  run(udp6(kHost, 5000, kRemote6, 7000, {'o'}));
  nlohmann::json d = status_document(*t, StatusInfo{"nat64", 1, 2, "checksum, tso"});
  EXPECT_EQ(d.at("offload"), "checksum, tso");
  EXPECT_NE(render_status(d).find("offload: checksum, tso\n"), std::string::npos);
  const auto& fates = d.at("fates");
  const auto& events = d.at("events");
  EXPECT_EQ(fates.size(), kFateCount);
  EXPECT_EQ(fates.size() + events.size(), kCounterCount);
  std::uint64_t sum = 0;
  for (const auto& [name, value] : fates.items()) sum += value.get<std::uint64_t>();
  EXPECT_EQ(sum, 3u);
  EXPECT_EQ(d.at("packets_read").get<std::uint64_t>(), 3u);
  EXPECT_EQ(fates.at("translated_6to4"), 1u);
  EXPECT_EQ(fates.at("no_session"), 1u);
  EXPECT_EQ(fates.at("tun_write_failed"), 1u);
  EXPECT_EQ(events.at("sessions_created"), 1u);
  EXPECT_FALSE(fates.contains("sessions_created"));
  EXPECT_FALSE(events.contains("translated_6to4"));
  std::string text = render_status(d);
  EXPECT_NE(text.find("packets read 3"), std::string::npos) << text;
  EXPECT_NE(text.find("sessions_created"), std::string::npos) << text;
}

// ---- usage per /32 and /24, bandwidth per /32 (seed 001) -------------------------

TEST_F(Nat64Test, UsageIsCountedPerIpv6Slash32AndUnmappedIpv4PerSlash24) {
  open(kHost, 5000, kRemote6, 7000);  // 2001:db8:1::2 -> 2001:db8::/32
  Bytes other_site = a6("2001:db9:7::1");
  Verdict v = run(udp6(other_site, 5000, kRemote6, 7000, {'x', 'y'}));
  ASSERT_EQ(v.fate, Fate::kForward);
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, {'r'})).fate, Fate::kForward);
  expect_drop(udp4(kRemote2, 7000, kPool, 5000, {'s'}), Counter::no_session);  // maps to no IPv6 address
  expect_drop(udp4(a4("203.0.113.99"), 7000, kPool, 5001, {'t'}), Counter::no_session);

  auto rows = t->usage_v6().totals();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(v6_slash32(rows[0].key), "2001:db8::/32");  // busiest first
  EXPECT_EQ(rows[0].count.packets_from, 1u);
  EXPECT_EQ(rows[0].count.packets_to, 1u);
  EXPECT_EQ(rows[0].count.bytes_from, 49u);  // 40 + 8 + 1
  EXPECT_EQ(rows[0].count.bytes_to, 49u);
  EXPECT_EQ(v6_slash32(rows[1].key), "2001:db9::/32");
  EXPECT_EQ(rows[1].count.packets_from, 1u);
  auto unmapped = t->unmapped_v4().totals();
  ASSERT_EQ(unmapped.size(), 1u);
  EXPECT_EQ(v4_slash24(unmapped[0].key), "203.0.113.0/24");
  EXPECT_EQ(unmapped[0].count.packets_from, 2u);

  // The log reports the interval, then starts a new one; totals stay.
  auto lines = usage_log_lines(t->take_usage_interval());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "usage ipv6 2001:db8::/32: 1 packets (49 bytes) from it, 1 packets (49 bytes) to it");
  EXPECT_EQ(lines[2], "usage unmapped ipv4 203.0.113.0/24: 2 packets (58 bytes) from it, 0 packets (0 bytes) to it");
  EXPECT_TRUE(usage_log_lines(t->take_usage_interval()).empty());
  EXPECT_EQ(t->usage_v6().totals().size(), 2u);

  // Status shows the totals, and nothing finer than a /32.
  nlohmann::json d = status_document(*t, StatusInfo{"nat64", 1, 1, "off"});
  const auto& u = d.at("usage");
  EXPECT_EQ(u.at("ipv6_per_32").size(), 2u);
  EXPECT_EQ(u.at("ipv6_per_32")[0].at("prefix"), "2001:db8::/32");
  EXPECT_EQ(u.at("unmapped_ipv4_per_24")[0].at("packets"), 2u);
  EXPECT_EQ(u.dump().find("2001:db8:1::2"), std::string::npos);
}

TEST_F(Nat64Test, UsageTableIsBounded) {
  TranslatorConfig c = default_config();
  c.max_usage_prefixes = 2;
  build(c);
  for (const char* src : {"2001:db8:1::2", "2001:db9::1", "2001:dba::1", "2001:dbb::1"})
    ASSERT_EQ(run(udp6(a6(src), 5000, kRemote6, 7000, {'x'})).fate, Fate::kForward);
  EXPECT_EQ(t->usage_v6().size(), 2u);
  EXPECT_EQ(t->usage_v6().other().packets_from, 2u);
  auto lines = usage_log_lines(t->take_usage_interval());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[2].find("2 packets from"), std::string::npos) << lines[2];
}

TEST_F(Nat64Test, BandwidthIsLimitedPerSlash32) {
  TranslatorConfig c = default_config();
  c.prefix_rate = 10000;  // bytes/s: a burst of 1000 bytes
  build(c);
  Bytes data(400, 'd');  // 448-byte packets
  ASSERT_EQ(run(udp6(kHost, 5000, kRemote6, 7000, data)).fate, Fate::kForward);
  ASSERT_EQ(run(udp6(kHost, 5000, kRemote6, 7000, data)).fate, Fate::kForward);
  expect_drop(udp6(kHost, 5000, kRemote6, 7000, data), Counter::prefix_rate_limited);
  // Replies to the /32 spend the same bucket.
  expect_drop(udp4(kRemote, 7000, kPool, 5000, data), Counter::prefix_rate_limited);
  // Another /32 has its own.
  ASSERT_EQ(run(udp6(a6("2001:db9::1"), 5000, kRemote6, 7000, data)).fate, Fate::kForward);
  now += 100ms;  // 1000 bytes more
  ASSERT_EQ(run(udp4(kRemote, 7000, kPool, 5000, data)).fate, Fate::kForward);
  // Drops are still usage of the service.
  EXPECT_EQ(t->usage_v6().totals()[0].count.packets_from, 3u);
}

// ---- TCP (RFC 6146 3.5.2) ------------------------------------------------------

class Nat64TcpTest : public Nat64Test {
 protected:
  // The one TCP session's state, as status shows it.
  std::string state() {
    std::string s;
    t->table().for_each_session([&](const Session& x) {
      if (x.binding->proto == Proto::kTcp) s = to_string(x.tcp);
    });
    return s;
  }
  std::chrono::seconds expires_in() {
    std::chrono::seconds left{-1};
    t->table().for_each_session([&](const Session& x) {
      if (x.binding->proto == Proto::kTcp) left = std::chrono::duration_cast<std::chrono::seconds>(x.expires - now);
    });
    return left;
  }
  void forward(const Bytes& in) {
    Verdict v = run(in);
    ASSERT_EQ(v.fate, Fate::kForward) << counter_name(v.counter);
  }
  // Host 5000 -> remote 80: SYN, SYN-ACK, ACK.
  void handshake() {
    forward(tcp6(kHost, 5000, kRemote6, 80, kSyn));
    forward(tcp4(kRemote, 80, kPool, 5000, kSyn | kAck));
    forward(tcp6(kHost, 5000, kRemote6, 80, kAck));
  }
};

TEST_F(Nat64TcpTest, HandshakeTranslatesHeadersAndChecksums) {
  Bytes syn = tcp6(kHost, 5000, kRemote6, 80, kSyn, {'h', 'i'});
  forward(syn);
  expect_valid_v4(out);
  EXPECT_EQ(out[9], 6);
  EXPECT_EQ(sub(out, 12, 4), kPool);
  EXPECT_EQ(sub(out, 16, 4), kRemote);
  EXPECT_EQ(get16(out, 20), 5000u);  // port kept: free and in range
  EXPECT_EQ(get16(out, 22), 80u);
  EXPECT_EQ(tail(out, 40), (Bytes{'h', 'i'}));
  EXPECT_EQ(state(), "v6_init");
  EXPECT_EQ(expires_in(), 240s);

  forward(tcp4(kRemote, 80, kPool, 5000, kSyn | kAck, {'o', 'k'}));
  expect_valid_v6(out);
  EXPECT_EQ(sub(out, 8, 16), kRemote6);
  EXPECT_EQ(sub(out, 24, 16), kHost);
  EXPECT_EQ(get16(out, 40), 80u);
  EXPECT_EQ(get16(out, 42), 5000u);
  EXPECT_EQ(state(), "established");
  EXPECT_EQ(expires_in(), 7440s);
  EXPECT_EQ(count(Counter::translated_6to4), 1u);
  EXPECT_EQ(count(Counter::translated_4to6), 1u);
}

TEST_F(Nat64TcpTest, CorruptSegmentStaysCorrupt) {
  Bytes in = tcp6(kHost, 5000, kRemote6, 80, kSyn, {'a', 'b'});
  in.back() ^= 0x01;
  forward(in);
  EXPECT_NE(ref_sum(cat({pseudo4(kPool, kRemote, 22, 6), tail(out, 20)})), 0xffff);
}

TEST_F(Nat64TcpTest, OnlyASynCreatesState) {
  expect_drop(tcp6(kHost, 5000, kRemote6, 80, kAck), Counter::tcp_not_syn);
  expect_drop(tcp6(kHost, 5000, kRemote6, 80, kFin | kAck), Counter::tcp_not_syn);
  expect_drop(tcp6(kHost, 5000, kRemote6, 80, kRst), Counter::tcp_not_syn);
  EXPECT_EQ(t->table().binding_count(), 0u);
  // Nothing from IPv4 opens a binding.
  expect_drop(tcp4(kRemote, 80, kPool, 5000, kSyn), Counter::no_session);
  EXPECT_EQ(t->table().session_count(), 0u);
}

TEST_F(Nat64TcpTest, InboundSynNeedsAnAddressTheHostTalksTo) {
  forward(tcp6(kHost, 5000, kRemote6, 80, kSyn));
  // Another remote, to the same binding: filtered.
  expect_drop(tcp4(kRemote2, 80, kPool, 5000, kSyn), Counter::no_session);
  // The same remote from another port (simultaneous open): admitted, V4 INIT
  // for 6 s.
  forward(tcp4(kRemote, 81, kPool, 5000, kSyn));
  expect_valid_v6(out);
  EXPECT_EQ(t->table().session_count(), 2u);
  // A non-SYN from a third port is not a way in.
  expect_drop(tcp4(kRemote, 82, kPool, 5000, kAck), Counter::no_session);
  // The host's SYN to it establishes it; without it, it would be gone in 6 s.
  forward(tcp6(kHost, 5000, kRemote6, 81, kSyn | kAck));
  now += 7s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 2u);
}

TEST_F(Nat64TcpTest, UnansweredInboundSynExpiresInSixSeconds) {
  forward(tcp6(kHost, 5000, kRemote6, 80, kSyn));
  forward(tcp4(kRemote, 81, kPool, 5000, kSyn));
  now += 5s;
  forward(tcp4(kRemote, 81, kPool, 5000, kSyn));  // a retry does not prolong it
  now += 2s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 1u);
  expect_drop(tcp4(kRemote, 81, kPool, 5000, kAck), Counter::no_session);
}

TEST_F(Nat64TcpTest, CloseFromBothSidesEndsInTransitory) {
  handshake();
  forward(tcp6(kHost, 5000, kRemote6, 80, kFin | kAck));
  EXPECT_EQ(state(), "v6_fin_rcv");
  forward(tcp4(kRemote, 80, kPool, 5000, kAck, {'x'}));  // data still flows
  EXPECT_EQ(expires_in(), 7440s);
  forward(tcp4(kRemote, 80, kPool, 5000, kFin | kAck));
  EXPECT_EQ(state(), "v4_fin_v6_fin_rcv");
  EXPECT_EQ(expires_in(), 240s);
  now += 100s;
  forward(tcp6(kHost, 5000, kRemote6, 80, kAck));  // the last ACK does not prolong it
  EXPECT_EQ(expires_in(), 140s);
  now += 141s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 0u);
  EXPECT_EQ(t->table().binding_count(), 0u);
  EXPECT_EQ(count(Counter::sessions_expired), 1u);
}

TEST_F(Nat64TcpTest, ResetMovesToTransitoryAndTrafficRevivesIt) {
  handshake();
  forward(tcp4(kRemote, 80, kPool, 5000, kRst));
  EXPECT_EQ(state(), "trans");
  EXPECT_EQ(expires_in(), 240s);
  now += 10s;
  forward(tcp6(kHost, 5000, kRemote6, 80, kRst));  // another RST: no longer
  EXPECT_EQ(expires_in(), 230s);
  forward(tcp6(kHost, 5000, kRemote6, 80, kAck));  // not a RST: alive after all
  EXPECT_EQ(state(), "established");
  EXPECT_EQ(expires_in(), 7440s);
}

TEST_F(Nat64TcpTest, IdleEstablishedGoesTransitoryThenAway) {
  handshake();
  now += 7440s;
  t->on_timer();
  EXPECT_EQ(state(), "trans");
  EXPECT_EQ(t->table().session_count(), 1u);
  EXPECT_EQ(count(Counter::sessions_expired), 0u);
  now += 240s;
  t->on_timer();
  EXPECT_EQ(t->table().session_count(), 0u);
  EXPECT_EQ(count(Counter::sessions_expired), 1u);
}

TEST_F(Nat64TcpTest, TimeoutsComeFromTheConfiguration) {
  TranslatorConfig c = default_config();
  c.timeouts.tcp_established = 300s;
  c.timeouts.tcp_transitory = 60s;
  build(c);
  forward(tcp6(kHost, 5000, kRemote6, 80, kSyn));
  EXPECT_EQ(expires_in(), 60s);
  forward(tcp4(kRemote, 80, kPool, 5000, kSyn | kAck));
  EXPECT_EQ(expires_in(), 300s);
}

TEST_F(Nat64TcpTest, PathMtuDiscoveryForTcp) {
  handshake();
  Bytes big(1300, 0x5a);
  forward(tcp6(kHost, 5000, kRemote6, 80, kAck, big));
  Bytes sent = out;
  EXPECT_EQ(get16(sent, 6) & 0x4000, 0x4000);  // DF: over 1260 bytes
  // A router on the IPv4 side can carry only 1300 and quotes our segment.
  forward(icmp4(kRouter, kPool, 3, 4, 1300, sent, 60));
  expect_valid_v6(out);
  EXPECT_EQ(sub(out, 24, 16), kHost);
  EXPECT_EQ(out[40], 2);                                    // packet too big
  EXPECT_EQ(get16(out, 44) << 16 | get16(out, 46), 1320u);  // 1300 + 20
  Bytes inner = tail(out, 48);
  EXPECT_EQ(inner[6], 6);
  EXPECT_EQ(sub(inner, 8, 16), kHost);
  EXPECT_EQ(sub(inner, 24, 16), kRemote6);
  EXPECT_EQ(get16(inner, 40), 5000u);
  EXPECT_EQ(get16(inner, 42), 80u);
  // The quoted segment's checksum is right again for the IPv6 header.
  auto quoted = static_cast<unsigned>(inner.size() - 40);
  if (quoted == 20 + big.size()) {
    EXPECT_EQ(ref_sum(cat({pseudo6(kHost, kRemote6, quoted, 6), tail(inner, 40)})), 0xffff);
  }
  // And from the IPv6 side: a PTB about a segment we delivered.
  forward(tcp4(kRemote, 80, kPool, 5000, kAck, {'d'}));
  Bytes delivered = out;
  forward(icmp6(kHost, kRemote6, 2, 0, 1400, delivered));
  expect_valid_v4(out);
  EXPECT_EQ(out[20], 3);
  EXPECT_EQ(out[21], 4);
  Bytes quoted4 = tail(out, 28);
  EXPECT_EQ(quoted4[9], 6);
  EXPECT_EQ(get16(quoted4, 20), 80u);
  EXPECT_EQ(get16(quoted4, 22), 5000u);
}

TEST_F(Nat64TcpTest, MalformedSegmentsAreDropped) {
  Bytes short_header = tcp6(kHost, 5000, kRemote6, 80, kSyn);
  short_header[40 + 12] = 0x40;  // data offset 4 words: shorter than a header
  expect_drop(short_header, Counter::malformed);
  Bytes past_end = tcp6(kHost, 5000, kRemote6, 80, kSyn);
  past_end[40 + 12] = 0xf0;  // 60 bytes of header in a 20-byte segment
  expect_drop(past_end, Counter::malformed);
  expect_drop(ipv6(kHost, kRemote6, 6, Bytes(12, 0)), Counter::malformed);
  expect_drop(ipv4(kRemote, kPool, 6, Bytes(12, 0)), Counter::malformed);
}

}  // namespace
}  // namespace gn::nat64

namespace gn::nat64 {
namespace {

// ---- offloads: partial checksums and TCP super-packets -------------------------

// The packet as the kernel hands it over with CHECKSUM_PARTIAL: the L4
// checksum field holds the pseudo-header sum, the data is not summed.
Bytes partial(Bytes p) {
  const bool v6 = (p[0] >> 4) == 6;
  const std::size_t l4 = v6 ? 40 : 20;
  const unsigned proto = v6 ? p[6] : p[9];
  const std::size_t field = l4 + (proto == 6 ? 16 : 6);
  const auto len = static_cast<unsigned>(p.size() - l4);
  put16(p, field,
        ref_sum(v6 ? pseudo6(sub(p, 8, 16), sub(p, 24, 16), len, proto)
                   : pseudo4(sub(p, 12, 4), sub(p, 16, 4), len, proto)));
  return p;
}

class Nat64OffloadTest : public Nat64TcpTest {};

TEST_F(Nat64OffloadTest, SuperPacketIsTranslatedOnceAndLeavesAsOne) {
  handshake();
  Bytes data(10000, 0x33);
  Bytes in = partial(tcp6(kHost, 5000, kRemote6, 80, kAck, data));
  ASSERT_EQ(run_offload(in, {.partial = true, .tcp_segment = 1440}).counter, Counter::translated_6to4);
  ASSERT_EQ(all_written.size(), 1u);
  EXPECT_EQ(out.size(), 20u + 20u + data.size());
  EXPECT_EQ(get16(out, 2), out.size());
  EXPECT_EQ(ref_sum(sub(out, 0, 20)), 0xffff) << "IPv4 header checksum";
  // Left partial for the kernel, which cuts the segments: the field is the
  // sum of the new pseudo-header.
  EXPECT_EQ(get16(out, 36), ref_sum(pseudo4(kPool, kRemote, 20 + 10000, 6)));
  const Offload& o = t->out_offload();
  EXPECT_TRUE(o.partial);
  EXPECT_EQ(o.l4_offset, 20u);
  EXPECT_EQ(o.checksum_field, 16u);
  EXPECT_EQ(o.headers, 40u);
  EXPECT_EQ(o.tcp_segment, 1440u);
  EXPECT_EQ(tail(out, 40), data);
  EXPECT_EQ(count(Counter::super_packets_translated), 1u);
  // Its 7 segments take 7 Identifications: the next packet has the 8th.
  unsigned id = get16(out, 4);
  forward(tcp6(kHost, 5000, kRemote6, 80, kAck, {'n'}));
  EXPECT_EQ(get16(out, 4), (id + 7) & 0xffff);

  // And back: an IPv4 super-packet with DF becomes an IPv6 one.
  Bytes in4 = partial(tcp4(kRemote, 80, kPool, 5000, kAck, data));
  ASSERT_EQ(run_offload(in4, {.partial = true, .tcp_segment = 1400}).counter, Counter::translated_4to6);
  EXPECT_EQ(out.size(), 40u + 20u + data.size());
  EXPECT_EQ(get16(out, 56), ref_sum(pseudo6(kRemote6, kHost, 20 + 10000, 6)));
  EXPECT_EQ(t->out_offload().headers, 60u);
  EXPECT_EQ(t->out_offload().tcp_segment, 1400u);
  EXPECT_EQ(count(Counter::super_packets_translated), 2u) << "the one-byte packet between was no super-packet";
}

TEST_F(Nat64OffloadTest, SegmentsNotThePacketMeetTheMtu) {
  TranslatorConfig c = default_config();
  c.mtu = 1400;
  build(c);
  handshake();
  // 20 + 20 + 1440 > 1400: Packet Too Big, as for a segment of that size.
  Bytes in = partial(tcp6(kHost, 5000, kRemote6, 80, kAck, Bytes(5000, 1)));
  EXPECT_EQ(run_offload(in, {.partial = true, .tcp_segment = 1440}).counter, Counter::too_big_sent);
  EXPECT_EQ(out[40], 2) << "ICMPv6 Packet Too Big";
  EXPECT_FALSE(t->out_offload().partial) << "an error we make is complete";
  // 1340-byte segments fit.
  EXPECT_EQ(run_offload(in, {.partial = true, .tcp_segment = 1340}).counter, Counter::translated_6to4);
  // IPv4 with DF: 40 + 20 + 1360 > 1400: Fragmentation Needed.
  Bytes in4 = partial(tcp4(kRemote, 80, kPool, 5000, kAck, Bytes(5000, 2)));
  EXPECT_EQ(run_offload(in4, {.partial = true, .tcp_segment = 1360}).counter, Counter::too_big_sent);
  EXPECT_EQ(out[9], 1) << "ICMP";
}

TEST_F(Nat64OffloadTest, WithoutDfSegmentsAreCutSmallerNotFragmented) {
  handshake();
  Bytes in4 = partial(tcp4(kRemote, 80, kPool, 5000, kAck, Bytes(8000, 3), false));
  ASSERT_EQ(run_offload(in4, {.partial = true, .tcp_segment = 1460}).counter, Counter::translated_4to6);
  ASSERT_EQ(all_written.size(), 1u) << "one super-packet, no fragments";
  EXPECT_EQ(t->out_offload().tcp_segment, 1280u - 60u);
  EXPECT_EQ(count(Counter::fragments_written), 0u);
}

TEST_F(Nat64OffloadTest, PartialDatagramLeavingInFragmentsIsCompletedFirst) {
  unsigned port = open(kHost, 5000, kRemote6, 7000);
  Bytes data(3000, 9);
  Bytes in = partial(udp4(kRemote, 7000, kPool, port, data));
  ASSERT_EQ(run_offload(in, {.partial = true}).counter, Counter::translated_4to6);
  ASSERT_GT(all_written.size(), 1u);
  EXPECT_FALSE(t->out_offload().partial);
  Bytes upper;
  for (const Bytes& f : all_written) {
    Bytes piece = tail(f, 48);
    upper.insert(upper.end(), piece.begin(), piece.end());
  }
  EXPECT_EQ(upper, tail(udp6(kRemote6, 7000, kHost, 5000, data), 40)) << "a complete checksum";
}

TEST_F(Nat64OffloadTest, SegmentationNotAskedForIsMalformed) {
  handshake();
  Bytes in = partial(tcp6(kHost, 5000, kRemote6, 80, kAck, Bytes(3000, 1)));
  EXPECT_EQ(run_offload(in, {.partial = true, .unsupported = true}).counter, Counter::malformed);
  EXPECT_EQ(run_offload(in, {.partial = false, .tcp_segment = 1000}).counter, Counter::malformed);
  // A plain packet is unchanged by an all-zero header.
  EXPECT_EQ(run_offload(tcp6(kHost, 5000, kRemote6, 80, kAck, {'z'}), {}).counter, Counter::translated_6to4);
  EXPECT_FALSE(t->out_offload().partial);
  expect_valid_v4(out);
}

}  // namespace
}  // namespace gn::nat64
