// The translator's NAT64 bypass (docs/protocol.md 8) end to end on packets:
// offer, acceptance, data both ways, what a server may not send, leave,
// revocation, silence and a gateway restart. The server's side is played
// here with the same pure pieces geneve-bypass uses (bypass/*.hpp).
#include <gtest/gtest.h>

#include "bypass/derive.hpp"
#include "bypass/neighbor.hpp"
#include "bypass/option.hpp"
#include "nat64_test_support.hpp"

namespace gn::nat64 {
namespace {
using namespace test;  // NOLINT(google-build-using-namespace): the test vocabulary
using namespace std::chrono_literals;

constexpr bypass::Mac kServerMac{0x02, 0x5e, 0x00, 0x00, 0x00, 0x10};
constexpr unsigned kGenevePort = 6081;

bypass::Ipv4 v4(const Bytes& b) {
  return {b[0], b[1], b[2], b[3]};
}
bypass::Ipv6 v6(const Bytes& b) {
  bypass::Ipv6 a{};
  std::copy(b.begin(), b.end(), a.begin());
  return a;
}

// What a GENEVE packet written to the server holds.
struct ToServer {
  Bytes datagram;  // what geneve's spans point into (a move keeps the buffer)
  geneve::Packet geneve;
  Bytes frame;  // the Ethernet frame
};

class BypassTest : public Nat64Test {
 protected:
  void SetUp() override {
    TranslatorConfig c = default_config();
    c.bypass.enabled = true;
    for (std::size_t i = 0; i < c.bypass.persistent.size(); ++i) c.bypass.persistent[i] = static_cast<std::uint8_t>(i);
    c.bypass.message = "NAT64 bypass offer";
    build(c);
  }
  std::uint32_t vni() const { return bypass::vni_for(config.bypass.persistent, v4(kRemote)); }

  // Parses a packet the gateway wrote to the server: IPv4 pool -> server,
  // UDP GENEVE port to port, checksums right.
  ToServer to_server(const Bytes& p) {
    ToServer sent;
    expect_valid_v4(p);
    EXPECT_EQ(sub(p, 12, 4), kPool);
    EXPECT_EQ(sub(p, 16, 4), kRemote);
    EXPECT_EQ(p[9], 17);
    EXPECT_EQ(get16(p, 6) & 0x4000, 0x4000u) << "DF";
    EXPECT_EQ(get16(p, 20), kGenevePort);
    EXPECT_EQ(get16(p, 22), kGenevePort);
    sent.datagram = tail(p, 28);
    EXPECT_EQ(geneve::parse(sent.datagram, geneve::OptionId{}, sent.geneve), geneve::ParseError::kOk);
    sent.frame.assign(sent.geneve.payload.begin(), sent.geneve.payload.end());
    return sent;
  }
  // A GENEVE packet from the server around `frame`, as IPv4 from it.
  Bytes from_server(const Bytes& frame, std::optional<std::uint32_t> vni_override = {}, bool with_option = false,
                    unsigned sport = kGenevePort) {
    auto h = bypass::header(vni_override.value_or(vni()), with_option);
    Bytes datagram(h.bytes().begin(), h.bytes().end());
    datagram.insert(datagram.end(), frame.begin(), frame.end());
    return udp4(kRemote, sport, kPool, kGenevePort, datagram);
  }
  // Sends a client packet that triggers an offer; returns the offer.
  bypass::NeighborMessage offer_from(const Bytes& client_packet) {
    run(client_packet);
    EXPECT_EQ(all_written.size(), 2u) << "the offer, then the translation";
    bypass::NeighborMessage offer;
    if (all_written.size() < 2) return offer;
    ToServer sent = to_server(all_written[0]);
    EXPECT_EQ(sent.geneve.vni, vni());
    bypass::Found f = bypass::find_option(sent.geneve.options);
    EXPECT_EQ(f.count, 1u);
    EXPECT_EQ(bypass::log_message(f.data), "NAT64 bypass offer");
    EXPECT_EQ(bypass::parse_offer(sent.frame, offer), bypass::NeighborError::kOk);
    return offer;
  }
  bypass::NeighborMessage accept() {
    bypass::NeighborMessage offer = offer_from(udp6(kHost, 5000, kRemote6, 53, {'q'}));
    EXPECT_EQ(offer.target, v6(kRemote6));
    Verdict v = run(from_server(bypass::build_neighbor(bypass::acceptance(offer, kServerMac))));
    EXPECT_EQ(v.counter, Counter::bypass_control);
    return offer;
  }
  // The server's IPv6 data to the client, in its tunnel framing.
  Bytes server_data(const bypass::NeighborMessage& offer, const Bytes& ipv6_packet) {
    Bytes frame(offer.eth_src.begin(), offer.eth_src.end());
    frame.insert(frame.end(), kServerMac.begin(), kServerMac.end());
    frame.push_back(0x86);
    frame.push_back(0xdd);
    frame.insert(frame.end(), ipv6_packet.begin(), ipv6_packet.end());
    return from_server(frame);
  }
};

TEST_F(BypassTest, OfferGoesWithTheFirstPacketWhichIsStillTranslated) {
  bypass::NeighborMessage offer = offer_from(udp6(kHost, 5000, kRemote6, 53, {'q'}));
  EXPECT_EQ(offer.target, v6(kRemote6));
  EXPECT_EQ(offer.link_layer, offer.eth_src);
  EXPECT_EQ(offer.eth_src[0] & 0x03, 0x02) << "locally administered unicast";
  ASSERT_EQ(all_written.size(), 2u);
  EXPECT_EQ(sub(all_written[1], 16, 4), kRemote) << "the packet itself was translated";
  EXPECT_EQ(count(Counter::translated_6to4), 1u);
  EXPECT_EQ(count(Counter::bypass_offers), 1u);
  // Not again within the offer interval, while unanswered.
  run(udp6(kHost, 5001, kRemote6, 53, {'q'}));
  EXPECT_EQ(all_written.size(), 1u);
  now += 60s;
  run(udp6(kHost, 5002, kRemote6, 53, {'q'}));
  EXPECT_EQ(all_written.size(), 2u);
  EXPECT_EQ(count(Counter::bypass_offers), 2u);
}

TEST_F(BypassTest, AcceptedServerGetsNewFlowsInGeneve) {
  bypass::NeighborMessage offer = accept();
  EXPECT_EQ(count(Counter::bypass_accepted), 1u);
  ASSERT_EQ(t->bypass_accepted().size(), 1u);
  EXPECT_EQ(t->bypass_accepted()[0].mac, kServerMac);

  const Bytes syn = tcp6(kHost, 40000, kRemote6, 80, kSyn);
  Verdict v = run(syn);
  ASSERT_EQ(v.counter, Counter::bypassed_to_server);
  ToServer ts = to_server(written);
  EXPECT_EQ(ts.geneve.vni, vni());
  EXPECT_EQ(ts.geneve.protocol, geneve::kProtoEthernet);
  bypass::Found f = bypass::find_option(ts.geneve.options);
  EXPECT_EQ(f.count, 1u);
  EXPECT_TRUE(f.data.empty()) << "data packets carry the option without a message";
  EXPECT_EQ(sub(ts.frame, 0, 6), Bytes(kServerMac.begin(), kServerMac.end()));
  EXPECT_EQ(sub(ts.frame, 6, 6), Bytes(offer.eth_src.begin(), offer.eth_src.end()));
  EXPECT_EQ(get16(ts.frame, 12), 0x86ddu);
  Bytes inner = tail(ts.frame, 14);
  ASSERT_EQ(inner.size(), syn.size());
  EXPECT_EQ(inner[7], syn[7] - 1) << "forwarded: hop limit decremented";
  inner[7] = syn[7];
  EXPECT_EQ(inner, syn) << "otherwise unchanged: the real client address and port";
  EXPECT_EQ(t->table().session_count(), 1u) << "no state for the bypassed flow (the one session is the DNS query's)";

  // The flow translated before the acceptance stays translated.
  v = run(udp6(kHost, 5000, kRemote6, 53, {'r'}));
  EXPECT_EQ(v.counter, Counter::translated_6to4);
}

TEST_F(BypassTest, ServerRepliesAreForwardedAsIpv6) {
  bypass::NeighborMessage offer = accept();
  const Bytes reply = tcp6(kRemote6, 80, kHost, 40000, kSyn | kAck);
  Verdict v = run(server_data(offer, reply));
  ASSERT_EQ(v.counter, Counter::bypassed_from_server);
  ASSERT_EQ(written.size(), reply.size());
  EXPECT_EQ(written[7], reply[7] - 1);
  Bytes same = written;
  same[7] = reply[7];
  EXPECT_EQ(same, reply);
  expect_valid_v6(written);
}

TEST_F(BypassTest, WhatAServerMayNotSend) {
  bypass::NeighborMessage offer = accept();
  // Another source than its own mapped address.
  expect_drop(server_data(offer, tcp6(kRemote26, 80, kHost, 40000, kAck)), Counter::bypass_spoofed_source);
  // Into the prefix (a loop through us) or to a link-local address.
  expect_drop(server_data(offer, tcp6(kRemote6, 80, kRemote26, 40000, kAck)), Counter::bypass_bad_destination);
  expect_drop(server_data(offer, tcp6(kRemote6, 80, a6("fe80::1"), 40000, kAck)), Counter::bypass_bad_destination);
  // The option, which only the gateway sends.
  Bytes frame = tail(server_data(offer, tcp6(kRemote6, 80, kHost, 1, kAck)), 28 + 8);
  expect_drop(from_server(frame, std::nullopt, true), Counter::bypass_option_from_server);
  // Not IPv6.
  Bytes arp = frame;
  arp[12] = 0x08;
  arp[13] = 0x06;
  expect_drop(from_server(arp), Counter::bypass_not_ipv6);
  // A broken acceptance.
  bypass::NeighborMessage bad = bypass::acceptance(offer, kServerMac);
  bad.target = v6(kRemote26);
  bad.src = bad.target;
  expect_drop(from_server(bypass::build_neighbor(bad)), Counter::bypass_bad_accept);
  // A corrupted datagram: its payload is taken out, so its checksum counts.
  Bytes corrupt = server_data(offer, tcp6(kRemote6, 80, kHost, 40000, kAck));
  corrupt.back() ^= 0x40;
  expect_drop(corrupt, Counter::bad_checksum);
}

TEST_F(BypassTest, OtherGeneveTrafficIsNotMistakenForTheBypass) {
  bypass::NeighborMessage offer = accept();
  Bytes frame = tail(server_data(offer, tcp6(kRemote6, 80, kHost, 1, kAck)), 28 + 8);
  // Another VNI: an ordinary datagram to the GENEVE port (no session, no
  // routing option: dropped as the extension drops it).
  Verdict v = run(from_server(frame, vni() ^ 1));
  EXPECT_NE(v.counter, Counter::bypassed_from_server);
  // Another Ethernet destination than the gateway's MAC for this server.
  Bytes other = frame;
  other[0] ^= 0x04;
  v = run(from_server(other));
  EXPECT_NE(v.counter, Counter::bypassed_from_server);
  EXPECT_EQ(count(Counter::bypassed_from_server), 0u);
}

TEST_F(BypassTest, DataFromAServerThatDidNotAcceptIsDropped) {
  bypass::NeighborMessage offer = offer_from(udp6(kHost, 5000, kRemote6, 53, {'q'}));
  expect_drop(server_data(offer, tcp6(kRemote6, 80, kHost, 40000, kAck)), Counter::bypass_unknown_server);
}

TEST_F(BypassTest, LeaveAndSilenceReturnToTranslation) {
  bypass::NeighborMessage offer = accept();
  EXPECT_EQ(run(tcp6(kHost, 40000, kRemote6, 80, kSyn)).counter, Counter::bypassed_to_server);
  // Keepalives keep it; 30 s of silence ends it, and it is offered again.
  now += 20s;
  run(from_server(bypass::build_neighbor(bypass::keepalive(offer.eth_src, kServerMac, v6(kRemote6)))));
  now += 20s;
  EXPECT_EQ(run(tcp6(kHost, 40001, kRemote6, 80, kSyn)).counter, Counter::bypassed_to_server);
  now += 31s;
  EXPECT_EQ(run(tcp6(kHost, 40002, kRemote6, 80, kSyn)).counter, Counter::translated_6to4);
  ASSERT_EQ(all_written.size(), 2u) << "offered again at once";
  bypass::NeighborMessage again;
  ASSERT_EQ(bypass::parse_offer(to_server(all_written[0]).frame, again), bypass::NeighborError::kOk);
  EXPECT_EQ(run(from_server(bypass::build_neighbor(bypass::acceptance(again, kServerMac)))).counter,
            Counter::bypass_control);
  // A leave: translated again at once.
  Verdict v =
      run(from_server(bypass::build_neighbor(bypass::keepalive(offer.eth_src, kServerMac, v6(kRemote6), true))));
  EXPECT_EQ(v.counter, Counter::bypass_control);
  EXPECT_EQ(count(Counter::bypass_left), 1u);
  EXPECT_EQ(run(tcp6(kHost, 40003, kRemote6, 80, kSyn)).counter, Counter::translated_6to4);
}

TEST_F(BypassTest, UnreachableFromTheServerRevokesIt) {
  accept();
  ASSERT_EQ(run(tcp6(kHost, 40000, kRemote6, 80, kSyn)).counter, Counter::bypassed_to_server);
  Bytes quoted = sub(written, 0, 28 + 8 + 4);  // IPv4, UDP, GENEVE header, the option's header
  expect_drop(icmp4(kRemote, kPool, 3, 3, 0, quoted), Counter::bypass_revoked);
  EXPECT_TRUE(t->bypass_accepted().empty());
  EXPECT_EQ(run(tcp6(kHost, 40001, kRemote6, 80, kSyn)).counter, Counter::translated_6to4);
}

TEST_F(BypassTest, GatewayRestartKeepsTheVniAndReOffersOnTheFirstSegment) {
  bypass::NeighborMessage offer = accept();
  const std::uint32_t before = vni();
  build(config);  // a restart: same persistent secret, new transient one
  EXPECT_EQ(vni(), before);
  // A segment of a bypassed connection has no session: dropped as any
  // translator drops it, and an offer goes out with it at once.
  Verdict v = run(tcp6(kHost, 40000, kRemote6, 80, kAck, {'d'}));
  EXPECT_EQ(v.counter, Counter::tcp_not_syn);
  ASSERT_EQ(all_written.size(), 1u);
  ToServer ts = to_server(all_written[0]);
  EXPECT_EQ(ts.geneve.vni, before);
  bypass::NeighborMessage again;
  ASSERT_EQ(bypass::parse_offer(ts.frame, again), bypass::NeighborError::kOk);
  EXPECT_NE(again.eth_src, offer.eth_src) << "the gateway MAC changed with the transient secret";
  run(from_server(bypass::build_neighbor(bypass::acceptance(again, kServerMac))));
  EXPECT_EQ(run(tcp6(kHost, 40000, kRemote6, 80, kAck, {'d'})).counter, Counter::bypassed_to_server);
}

TEST_F(BypassTest, TooBigForTheTunnelGetsPacketTooBig) {
  accept();
  Bytes big = udp6(kHost, 7000, kRemote6, 9, Bytes(1500 - 40 - 8, 'x'));
  Verdict v = run(big);
  ASSERT_EQ(v.counter, Counter::too_big_sent);
  EXPECT_EQ(written[40], 2) << "ICMPv6 Packet Too Big";
  EXPECT_EQ(get16(written, 46), 1446u) << "1500 - 54";
  Bytes fits = udp6(kHost, 7000, kRemote6, 9, Bytes(1446 - 40 - 8, 'x'));
  EXPECT_EQ(run(fits).counter, Counter::bypassed_to_server);
  EXPECT_EQ(written.size(), 1500u);
}

TEST_F(BypassTest, FatesStillAddUp) {
  bypass::NeighborMessage offer = accept();
  run(tcp6(kHost, 40000, kRemote6, 80, kSyn));
  run(server_data(offer, tcp6(kRemote6, 80, kHost, 40000, kSyn | kAck)));
  run(server_data(offer, tcp6(kRemote26, 80, kHost, 40000, kAck)));
  std::uint64_t fates = 0;
  for (std::size_t i = 0; i < kFateCount; ++i) fates += count(static_cast<Counter>(i));
  EXPECT_EQ(fates, t->counters().packets());
}

TEST_F(BypassTest, OffBySwitch) {
  build(default_config());
  run(udp6(kHost, 5000, kRemote6, 53, {'q'}));
  EXPECT_EQ(all_written.size(), 1u);
  EXPECT_EQ(count(Counter::bypass_offers), 0u);
  EXPECT_FALSE(t->bypass_enabled());
}

}  // namespace
}  // namespace gn::nat64
