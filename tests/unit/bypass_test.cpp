// The NAT64 bypass's wire pieces (docs/protocol.md 8): identifiers derived
// from secrets, the neighbour messages that offer and accept, the option.
// Frames are checked against bytes made by scapy, an independent encoder.
#include <gtest/gtest.h>

#include "bypass/derive.hpp"
#include "bypass/neighbor.hpp"
#include "bypass/option.hpp"
#include "net/checksum.hpp"
#include "net/protocol.hpp"
#include "util/bytes.hpp"
#include "util/hex.hpp"

namespace gn::bypass {
namespace {

std::vector<std::uint8_t> hex(std::string_view s) {
  return parse_hex(s).value();
}

Secret counting_secret() {
  Secret s{};
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = static_cast<std::uint8_t>(i);
  return s;
}

constexpr Ipv4 kServer{203, 0, 113, 10};
// 2001:db8:64:1::203.0.113.10
constexpr Ipv6 kMapped{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x64, 0x00, 0x01, 0, 0, 0, 0, 0xcb, 0x00, 0x71, 0x0a};
constexpr Mac kServerMac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

// scapy: Ether(dst='33:33:ff:00:71:0a', src=gm)/IPv6(src='fe80::f489:36ff:febe:1bc1',
// dst='ff02::1:ff00:710a', hlim=255)/ICMPv6ND_NS(tgt=t)/ICMPv6NDOptSrcLLAddr(lladdr=gm)
constexpr std::string_view kOfferHex =
    "3333ff00710af68936be1bc186dd6000000000203afffe80000000000000f48936fffebe1bc1ff0200000000000000000001ff0071"
    "0a870010d80000000020010db80064000100000000cb00710a0101f68936be1bc1";
// scapy: Ether(dst=gm, src=sm)/IPv6(src=t, dst=ll, hlim=255)/ICMPv6ND_NA(tgt=t, R=0, S=1, O=1)
// /ICMPv6NDOptDstLLAddr(lladdr=sm)
constexpr std::string_view kAcceptHex =
    "f68936be1bc102112233445586dd6000000000203aff20010db80064000100000000cb00710afe80000000000000f48936fffebe1b"
    "c18800942d6000000020010db80064000100000000cb00710a0201021122334455";

TEST(BypassDerive, VniAndMacMatchBlake2bReference) {
  // Python: hashlib.blake2b(label + server, digest_size=32, key=bytes(range(32)))
  EXPECT_EQ(vni_for(counting_secret(), kServer), 0xf2a87fu);
  EXPECT_EQ(mac_for(counting_secret(), kServer), (Mac{0xf6, 0x89, 0x36, 0xbe, 0x1b, 0xc1}));
}

TEST(BypassDerive, DependsOnSecretAndServer) {
  const Secret other = random_secret();
  EXPECT_NE(vni_for(counting_secret(), kServer), vni_for(counting_secret(), Ipv4{203, 0, 113, 11}));
  EXPECT_NE(mac_for(counting_secret(), kServer), mac_for(other, kServer));
  EXPECT_LE(vni_for(other, kServer), 0xffffffu);
}

TEST(BypassDerive, MacsAreLocallyAdministeredUnicast) {
  for (int i = 0; i < 64; ++i) {
    const Mac m = mac_for(random_secret(), kServer);
    EXPECT_EQ(m[0] & 0x03, 0x02);
    EXPECT_EQ(random_mac()[0] & 0x03, 0x02);
  }
}

TEST(BypassDerive, LinkLocalAndMulticast) {
  const Mac m{0xf6, 0x89, 0x36, 0xbe, 0x1b, 0xc1};
  EXPECT_EQ(to_hex(link_local_for(m)), "fe80000000000000f48936fffebe1bc1");
  EXPECT_EQ(to_hex(solicited_node(kMapped)), "ff0200000000000000000001ff00710a");
  EXPECT_EQ(multicast_mac(solicited_node(kMapped)), (Mac{0x33, 0x33, 0xff, 0x00, 0x71, 0x0a}));
}

TEST(BypassNeighbor, OfferIsTheReferenceSolicitation) {
  const Mac gm = mac_for(counting_secret(), kServer);
  const auto frame = build_neighbor(offer_solicitation(gm, kMapped));
  EXPECT_EQ(to_hex(frame), kOfferHex);
  NeighborMessage m;
  ASSERT_EQ(parse_offer(frame, m), NeighborError::kOk);
  EXPECT_EQ(m.target, kMapped);
  EXPECT_EQ(m.link_layer, gm);
  EXPECT_EQ(m.src, link_local_for(gm));
}

TEST(BypassNeighbor, AcceptanceIsTheReferenceAdvertisement) {
  NeighborMessage offer;
  ASSERT_EQ(parse_offer(hex(kOfferHex), offer), NeighborError::kOk);
  const auto frame = build_neighbor(acceptance(offer, kServerMac));
  EXPECT_EQ(to_hex(frame), kAcceptHex);
  NeighborMessage m;
  ASSERT_EQ(parse_advertisement(frame, m), NeighborError::kOk);
  EXPECT_EQ(m.link_layer, kServerMac);
  EXPECT_EQ(m.flags, kFlagSolicited | kFlagOverride);
}

TEST(BypassNeighbor, KeepaliveAndLeave) {
  const Mac gm = mac_for(counting_secret(), kServer);
  NeighborMessage m;
  ASSERT_EQ(parse_advertisement(build_neighbor(keepalive(gm, kServerMac, kMapped)), m), NeighborError::kOk);
  EXPECT_EQ(m.link_layer, kServerMac);
  EXPECT_EQ(m.flags & kFlagSolicited, 0u);
  EXPECT_EQ(m.eth_dst, gm);
  ASSERT_EQ(parse_advertisement(build_neighbor(keepalive(gm, kServerMac, kMapped, true)), m), NeighborError::kOk);
  EXPECT_FALSE(m.link_layer);
}

TEST(BypassNeighbor, RejectsWhatRfc4861Rejects) {
  const auto good = hex(kOfferHex);
  NeighborMessage m;
  auto broken = [&](auto mutate) {
    auto f = good;
    mutate(f);
    return parse_offer(f, m);
  };
  EXPECT_EQ(broken([](auto& f) { f[14 + 7] = 64; }), NeighborError::kHopLimit);
  EXPECT_EQ(broken([](auto& f) { f.back() ^= 1; }), NeighborError::kBadChecksum);
  EXPECT_EQ(broken([](auto& f) {
              f[12] = 0x08;
              f[13] = 0x00;
            }),
            NeighborError::kNotIpv6);
  EXPECT_EQ(broken([](auto& f) { f[14 + 6] = 17; }), NeighborError::kNotIcmp6);
  EXPECT_EQ(broken([](auto& f) { f[14 + 5] = 0xff; }), NeighborError::kTruncated);  // payload length past the frame
  EXPECT_EQ(broken([](auto& f) { f.resize(60); }), NeighborError::kTruncated);
  EXPECT_EQ(parse_advertisement(good, m), NeighborError::kWrongType);
  // Recomputing the checksum after a change is what a forger would do: the
  // checks after the checksum must still hold.
  auto forged = [&](auto mutate) {
    NeighborMessage n = offer_solicitation(mac_for(counting_secret(), kServer), kMapped);
    mutate(n);
    return parse_offer(build_neighbor(n), m);
  };
  EXPECT_EQ(forged([](auto& n) { n.link_layer.reset(); }), NeighborError::kBadOption);
  EXPECT_EQ(forged([](auto& n) { n.link_layer = kServerMac; }), NeighborError::kBadOption);
  EXPECT_EQ(forged([](auto& n) { n.dst[15] ^= 1; }), NeighborError::kBadAddress);
  EXPECT_EQ(forged([](auto& n) { n.target[0] = 0xff; }), NeighborError::kBadAddress);
}

// Sets the ICMPv6 checksum of an NS/NA frame for its current bytes.
void fix_checksum(std::vector<std::uint8_t>& f) {
  Ipv6 src{}, dst{};
  std::copy(f.begin() + 22, f.begin() + 38, src.begin());
  std::copy(f.begin() + 38, f.begin() + 54, dst.begin());
  std::span<std::uint8_t> icmp(f.data() + 54, f.size() - 54);
  icmp[2] = icmp[3] = 0;
  store16(icmp.data() + 2,
          checksum::finish(checksum::sum_bytes(
              icmp, checksum::pseudo_v6(src, dst, net::kProtoIcmp6, static_cast<std::uint32_t>(icmp.size())))));
}

TEST(BypassNeighbor, MalformedOptions) {
  NeighborMessage m;
  auto f = hex(kOfferHex);
  fix_checksum(f);
  ASSERT_EQ(parse_offer(f, m), NeighborError::kOk);  // the helper itself is right
  f[f.size() - 7] = 0;                               // the SLLA option's length: 0
  fix_checksum(f);
  EXPECT_EQ(parse_offer(f, m), NeighborError::kBadOption);
  f[f.size() - 7] = 2;  // 16 bytes: past the message
  fix_checksum(f);
  EXPECT_EQ(parse_offer(f, m), NeighborError::kBadOption);
  f[14 + 40 + 1] = 1;  // code 1
  f[f.size() - 7] = 1;
  fix_checksum(f);
  EXPECT_EQ(parse_offer(f, m), NeighborError::kBadCode);
}

TEST(BypassNeighbor, AdvertisementAddresses) {
  NeighborMessage offer;
  ASSERT_EQ(parse_offer(hex(kOfferHex), offer), NeighborError::kOk);
  NeighborMessage a = acceptance(offer, kServerMac);
  NeighborMessage m;
  a.src[15] ^= 1;  // speaks for another address than its target
  EXPECT_EQ(parse_advertisement(build_neighbor(a), m), NeighborError::kBadAddress);
  NeighborMessage k = keepalive(offer.eth_src, kServerMac, kMapped);
  k.flags |= kFlagSolicited;  // solicited, yet to a multicast group
  EXPECT_EQ(parse_advertisement(build_neighbor(k), m), NeighborError::kBadAddress);
}

TEST(BypassOption, FindsCountsAndLogs) {
  auto h = header(0xf2a87f, true, "NAT64 bypass offer\n");
  geneve::Packet p;
  auto datagram = std::vector<std::uint8_t>(h.bytes().begin(), h.bytes().end());
  datagram.resize(datagram.size() + 14);
  ASSERT_EQ(geneve::parse(datagram, geneve::OptionId{}, p), geneve::ParseError::kOk);
  EXPECT_EQ(p.vni, 0xf2a87fu);
  Found f = find_option(p.options);
  EXPECT_EQ(f.count, 1u);
  EXPECT_EQ(log_message(f.data), "NAT64 bypass offer\\x0a");

  auto two = header(7, true);
  two.add_option(kOptionClass, kOptionType, {});
  EXPECT_EQ(find_option(two.bytes().subspan(geneve::kBaseHeaderLen)).count, 2u);
  EXPECT_EQ(find_option(header(7, false).bytes().subspan(geneve::kBaseHeaderLen)).count, 0u);
  EXPECT_EQ(header(7, true).bytes().size(), geneve::kBaseHeaderLen + 4);  // data: no data
}

TEST(BypassOption, LongMessagesAreCutAtACharacter) {
  std::string msg(122, 'a');
  msg += "\xc3\xa9\xc3\xa9";  // é é: the first ends at byte 124, the second would not fit
  auto h = header(1, true, msg);
  Found f = find_option(h.bytes().subspan(geneve::kBaseHeaderLen));
  ASSERT_EQ(f.data.size(), 124u);
  EXPECT_EQ(f.data[122], 0xc3);
  EXPECT_EQ(f.data[123], 0xa9);
}

}  // namespace
}  // namespace gn::bypass
