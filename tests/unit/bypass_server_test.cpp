// The bypass server's pure logic (docs/protocol.md 8.4-8.7): which offers
// it answers and why not, the data it passes each way, keepalives, leave,
// and the connection table the handoff server kept (seeds 002, 003).
#include <gtest/gtest.h>

#include <chrono>

#include "bypass/derive.hpp"
#include "bypass/flow_table.hpp"
#include "bypass/neighbor.hpp"
#include "bypass/option.hpp"
#include "bypass/server.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "net/checksum.hpp"
#include "net/protocol.hpp"
#include "util/bytes.hpp"

namespace gn::bypass {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;

constexpr Ipv4 kGateway{192, 0, 2, 7};
constexpr Ipv4 kOther{198, 51, 100, 9};
constexpr Ipv4 kServerAddress{203, 0, 113, 10};
constexpr Mac kGatewayMac{0x82, 1, 2, 3, 4, 5};
constexpr Mac kServerMac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
constexpr std::uint32_t kVni = 0x123456;

Ipv6 v6(const char* text) {
  return net::IpAddress::parse(text)->bytes();
}
const Ipv6 kMapped = v6("2001:db8:64:1::cb00:710a");
const Ipv6 kClient = v6("2001:db8:c1::1");

Bytes datagram(std::uint32_t vni, int options, const Bytes& frame) {
  geneve::HeaderBuilder h(vni);
  const std::uint8_t msg[] = {'h', 'i'};
  for (int i = 0; i < options; ++i) h.add_option(kOptionClass, kOptionType, msg);
  Bytes d(h.bytes().begin(), h.bytes().end());
  d.insert(d.end(), frame.begin(), frame.end());
  return d;
}

Bytes offer_frame(const Ipv6& target = kMapped) {
  return build_neighbor(offer_solicitation(kGatewayMac, target));
}

// An IPv6 TCP packet (checksum not needed by the server) inside Ethernet.
Bytes ipv6_packet(const Ipv6& src, const Ipv6& dst, std::uint16_t sport, std::uint16_t dport) {
  Bytes p(40 + 20, 0);
  p[0] = 0x60;
  store16(p.data() + 4, 20);
  p[6] = net::kProtoTcp;
  p[7] = 64;
  std::copy(src.begin(), src.end(), p.begin() + 8);
  std::copy(dst.begin(), dst.end(), p.begin() + 24);
  store16(p.data() + 40, sport);
  store16(p.data() + 42, dport);
  p[52] = 0x50;
  return p;
}

Bytes ethernet(const Mac& dst, const Mac& src, const Bytes& packet) {
  Bytes f(dst.begin(), dst.end());
  f.insert(f.end(), src.begin(), src.end());
  f.push_back(0x86);
  f.push_back(0xdd);
  f.insert(f.end(), packet.begin(), packet.end());
  return f;
}

class BypassServerTest : public ::testing::Test {
 protected:
  BypassServerTest() { config.trusted.push_back({kGateway, 96}); }
  Server& server() {
    if (!s) s.emplace(config, kServerMac);
    return *s;
  }
  Server::Result offer(const Ipv4& from = kGateway, const Bytes& frame = offer_frame(), int options = 1) {
    return server().on_datagram(from, 6081, kServerAddress, datagram(kVni, options, frame), now);
  }
  Server::Result data(const Bytes& packet, std::uint32_t vni = kVni, int options = 1, const Mac& dst = kServerMac) {
    last = datagram(vni, options, ethernet(dst, kGatewayMac, packet));
    return server().on_datagram(kGateway, 6081, kServerAddress, last, now);
  }
  ServerConfig config;
  std::optional<Server> s;
  Clock::time_point now = Clock::time_point{} + 1h;
  Bytes last;
};

TEST_F(BypassServerTest, AnswersATrustedOfferWithAnAcceptance) {
  Server::Result r = offer();
  ASSERT_EQ(r.counter, ServerCounter::offers_answered);
  ASSERT_TRUE(r.gateway);
  EXPECT_EQ(r.gateway->mapped, kMapped);
  EXPECT_EQ(r.gateway->vni, kVni);
  EXPECT_EQ(r.offer_message, "hi");
  ASSERT_EQ(r.send.size(), 1u);
  EXPECT_EQ(r.send[0].to, kGateway);
  geneve::Packet g;
  ASSERT_EQ(geneve::parse(r.send[0].payload, geneve::OptionId{}, g), geneve::ParseError::kOk);
  EXPECT_EQ(g.vni, kVni);
  EXPECT_EQ(find_option(g.options).count, 0u) << "a server never sends the option";
  NeighborMessage na;
  ASSERT_EQ(parse_advertisement(g.payload, na), NeighborError::kOk);
  EXPECT_EQ(na.target, kMapped);
  EXPECT_EQ(na.link_layer, kServerMac);
  EXPECT_EQ(na.eth_dst, kGatewayMac);
  EXPECT_NE(na.flags & kFlagSolicited, 0u);
  // Again: answered, but nothing changed.
  EXPECT_FALSE(offer().gateway);
}

TEST_F(BypassServerTest, RefusesOffersItShouldNot) {
  EXPECT_EQ(offer(kOther).counter, ServerCounter::offer_untrusted);
  EXPECT_EQ(offer(kGateway, offer_frame(), 0).counter, ServerCounter::offer_no_option);
  EXPECT_EQ(offer(kGateway, offer_frame(), 2).counter, ServerCounter::bypass_option_duplicated);
  EXPECT_EQ(offer(kGateway, offer_frame(v6("2001:db8:64:1::cb00:710b"))).counter, ServerCounter::offer_wrong_target);
  Bytes bad = offer_frame();
  bad.back() ^= 1;  // checksum
  EXPECT_EQ(offer(kGateway, bad).counter, ServerCounter::offer_malformed);
  EXPECT_EQ(server().on_datagram(kGateway, 6081, kServerAddress, Bytes{1, 2, 3}, now).counter,
            ServerCounter::not_geneve);
  EXPECT_EQ(server().on_datagram(kGateway, 40000, kServerAddress, datagram(kVni, 1, offer_frame()), now).counter,
            ServerCounter::wrong_port);
  EXPECT_TRUE(server().gateways().empty());
  EXPECT_EQ(server().count(ServerCounter::offer_untrusted), 1u);
}

TEST_F(BypassServerTest, TrustAnyTakesAnyGatewayAtSlash96) {
  config.trusted.clear();
  config.trust_any = true;
  EXPECT_EQ(offer(kOther).counter, ServerCounter::offers_answered);
}

TEST_F(BypassServerTest, TheTargetEmbedsOurAddressAtTheGatewaysPrefixLength) {
  config.trusted = {{kGateway, 64}};
  // 2001:db8:64:1::/64 embeds 203.0.113.10 as 2001:db8:64:1:cb:71:a00::.
  EXPECT_EQ(offer(kGateway, offer_frame(kMapped)).counter, ServerCounter::offer_wrong_target);
  EXPECT_EQ(offer(kGateway, offer_frame(v6("2001:db8:64:1:cb:71:a00::"))).counter, ServerCounter::offers_answered);
}

TEST_F(BypassServerTest, DataBothWaysAndTheChecksOnIt) {
  EXPECT_EQ(data(ipv6_packet(kClient, kMapped, 40000, 80)).counter, ServerCounter::unknown_gateway);
  offer();
  const Bytes in = ipv6_packet(kClient, kMapped, 40000, 80);
  Server::Result r = data(in);
  ASSERT_EQ(r.counter, ServerCounter::data_from_gateways);
  EXPECT_EQ(Bytes(r.to_tun.begin(), r.to_tun.end()), in);
  EXPECT_EQ(data(in, kVni + 1).counter, ServerCounter::wrong_vni);
  EXPECT_EQ(data(in, kVni, 0).counter, ServerCounter::data_no_option);
  EXPECT_EQ(data(in, kVni, 1, Mac{2, 9, 9, 9, 9, 9}).counter, ServerCounter::wrong_mac);
  EXPECT_EQ(data(ipv6_packet(kClient, v6("2001:db8:64:1::1"), 1, 2)).counter, ServerCounter::bad_destination);
  EXPECT_EQ(data(ipv6_packet(v6("fe80::1"), kMapped, 1, 2)).counter, ServerCounter::bad_source);
  Bytes truncated = in;
  truncated.resize(50);
  EXPECT_EQ(data(truncated).counter, ServerCounter::malformed);

  // The reply goes to the gateway whose prefix its source is in.
  const Bytes reply = ipv6_packet(kMapped, kClient, 80, 40000);
  std::optional<Datagram> out = server().on_tun_packet(reply, now);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->to, kGateway);
  geneve::Packet g;
  ASSERT_EQ(geneve::parse(out->payload, geneve::OptionId{}, g), geneve::ParseError::kOk);
  EXPECT_EQ(g.vni, kVni);
  EXPECT_EQ(Bytes(g.payload.begin(), g.payload.end()), ethernet(kGatewayMac, kServerMac, reply));
  EXPECT_FALSE(server().on_tun_packet(ipv6_packet(v6("2001:db8:99::1"), kClient, 80, 40000), now));
  EXPECT_EQ(server().count(ServerCounter::no_gateway_for_source), 1u);
}

TEST_F(BypassServerTest, LogsFlowsAsTheHandoffServerDid) {
  config.flow_timeout = 60s;
  offer();
  data(ipv6_packet(kClient, kMapped, 40000, 80));
  data(ipv6_packet(kClient, kMapped, 40000, 80));
  server().on_tun_packet(ipv6_packet(kMapped, kClient, 80, 40000), now);
  std::vector<FlowLogEvent> events = server().take_flow_events();
  ASSERT_EQ(events.size(), 1u) << "one flow, created once";
  EXPECT_EQ(events[0].event.kind, FlowEvent::Kind::kCreated);
  EXPECT_EQ(flow_name(events[0].event.key), "[2001:db8:c1::1]:40000");
  EXPECT_EQ(events[0].gateway, kGateway);
  now += 59s;
  server().on_timer(now);
  EXPECT_TRUE(server().take_flow_events().empty());
  now += 1s;
  server().on_timer(now);
  events = server().take_flow_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event.kind, FlowEvent::Kind::kDeleted);
  EXPECT_EQ(server().flows(kGateway), 0u);
}

TEST_F(BypassServerTest, AFullTableDeletesTheLeastRecentlyUsedFlow) {
  FlowTable t(2, 60s);
  std::vector<FlowEvent> ev;
  Clock::time_point at{};
  FlowKey a{net::kProtoTcp, kClient, 1, 80}, b{net::kProtoTcp, kClient, 2, 80}, c{net::kProtoTcp, kClient, 3, 80};
  t.touch(a, at, ev);
  t.touch(b, at + 1s, ev);
  t.touch(a, at + 2s, ev);  // a is now the most recent
  ev.clear();
  t.touch(c, at + 3s, ev);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0].kind, FlowEvent::Kind::kDeleted);
  EXPECT_EQ(ev[0].key, b);
  EXPECT_EQ(ev[1].kind, FlowEvent::Kind::kCreated);
  EXPECT_EQ(ev[1].key, c);
  EXPECT_EQ(t.size(), 2u);
}

TEST_F(BypassServerTest, KeepalivesWhenDueAndALeaveAtTheEnd) {
  config.keepalive = 10s;
  offer();
  EXPECT_TRUE(server().on_timer(now + 9s).empty());
  std::vector<Datagram> k = server().on_timer(now + 10s);
  ASSERT_EQ(k.size(), 1u);
  geneve::Packet g;
  ASSERT_EQ(geneve::parse(k[0].payload, geneve::OptionId{}, g), geneve::ParseError::kOk);
  NeighborMessage na;
  ASSERT_EQ(parse_advertisement(g.payload, na), NeighborError::kOk);
  EXPECT_EQ(na.flags & kFlagSolicited, 0u);
  EXPECT_EQ(na.dst, v6("ff02::1"));
  EXPECT_TRUE(na.link_layer);
  data(ipv6_packet(kClient, kMapped, 40000, 80));
  server().take_flow_events();
  std::vector<Datagram> leave = server().leave_all();
  ASSERT_EQ(leave.size(), 1u);
  ASSERT_EQ(geneve::parse(leave[0].payload, geneve::OptionId{}, g), geneve::ParseError::kOk);
  ASSERT_EQ(parse_advertisement(g.payload, na), NeighborError::kOk);
  EXPECT_FALSE(na.link_layer) << "a leave has no link-layer address";
  EXPECT_EQ(server().take_flow_events().size(), 1u) << "every flow deleted";
}

TEST_F(BypassServerTest, ARestoredGatewayIsKeptAliveAtOnce) {
  server().restore(GatewayInfo{kGateway, kVni, kGatewayMac, v6("fe80::1"), kMapped, 96}, now);
  EXPECT_EQ(server().on_timer(now).size(), 1u);
  EXPECT_EQ(data(ipv6_packet(kClient, kMapped, 40000, 80)).counter, ServerCounter::data_from_gateways);
}

TEST_F(BypassServerTest, GatewaysAreBounded) {
  config.trust_any = true;
  config.max_gateways = 1;
  offer();
  EXPECT_EQ(offer(kOther).counter, ServerCounter::gateways_full);
}

}  // namespace
}  // namespace gn::bypass
