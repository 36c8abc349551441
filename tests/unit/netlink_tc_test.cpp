// tc messages against linux/pkt_cls.h, pkt_sched.h and tc_act/: the clsact
// qdisc, the egress matchall + tunnel_key carrying the NAT64 routing option
// (bytes from the codec), the ingress flower + gact filters.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_skbedit.h>
#include <linux/tc_act/tc_tunnel_key.h>

#include "geneve/codec.hpp"
#include "netlink/tc.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;

const tcmsg* tcm(const Bytes& m) {
  return static_cast<const tcmsg*>(mnl_nlmsg_get_payload(header(m)));
}

TunnelKey key_v6() {
  TunnelKey k;
  k.vni = 42;
  k.src = *net::IpAddress::parse("2001:db8:a::1");
  k.dst = *net::IpAddress::parse("2001:db8:64::c633:645a");
  k.dst_port = 6081;
  k.ttl = 64;
  // The option as the userspace data plane sends it.
  geneve::Nat64Route route{net::IpAddress::parse("2001:db8:b::1")->bytes(), 6081};
  geneve::HeaderBuilder h(42);
  h.add_route(geneve::OptionId{}, route);
  auto b = h.bytes();
  GeneveOptionBytes o;
  o.option_class = static_cast<std::uint16_t>((b[8] << 8) | b[9]);
  o.type = b[10];
  o.data.assign(b.begin() + 12, b.end());
  k.option = o;
  return k;
}

TEST(NetlinkTc, ClsactQdisc) {
  Bytes m = build_add_clsact(3);
  EXPECT_EQ(header(m)->nlmsg_type, RTM_NEWQDISC);
  EXPECT_EQ(tcm(m)->tcm_ifindex, 3);
  EXPECT_EQ(tcm(m)->tcm_parent, TC_H_CLSACT);
  EXPECT_EQ(tcm(m)->tcm_handle, 0xffff0000u);
  EXPECT_STREQ(mnl_attr_get_str(path(header(m), sizeof(tcmsg), {TCA_KIND})), "clsact");
  EXPECT_EQ(header(build_del_clsact(3))->nlmsg_type, RTM_DELQDISC);
}

TEST(NetlinkTc, EgressTunnelKeyOnEveryFrame) {
  const TunnelKey key = key_v6();
  Bytes m = build_egress_tunnel_key(3, key);
  const nlmsghdr* nlh = header(m);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWTFILTER);
  EXPECT_EQ(tcm(m)->tcm_parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
  // Priority 1, protocol ETH_P_ALL (network order): ARP, ND and control
  // frames get the metadata too.
  EXPECT_EQ(tcm(m)->tcm_info >> 16, 1u);
  EXPECT_EQ(tcm(m)->tcm_info & 0xffff, htons(ETH_P_ALL));
  EXPECT_STREQ(mnl_attr_get_str(path(nlh, sizeof(tcmsg), {TCA_KIND})), "matchall");
  const nlattr* kind = path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_MATCHALL_ACT, 1, TCA_ACT_KIND});
  ASSERT_NE(kind, nullptr);
  EXPECT_STREQ(mnl_attr_get_str(kind), "tunnel_key");
  auto act = [&](std::uint16_t t) {
    return path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_MATCHALL_ACT, 1, TCA_ACT_OPTIONS, t});
  };
  const nlattr* parms = act(TCA_TUNNEL_KEY_PARMS);
  ASSERT_NE(parms, nullptr);
  ASSERT_EQ(mnl_attr_get_payload_len(parms), sizeof(tc_tunnel_key));
  tc_tunnel_key p;
  std::memcpy(&p, mnl_attr_get_payload(parms), sizeof p);
  EXPECT_EQ(p.t_action, TCA_TUNNEL_KEY_ACT_SET);
  EXPECT_EQ(p.action, TC_ACT_PIPE);
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_ENC_IPV6_SRC)), Bytes(key.src.bytes().begin(), key.src.bytes().end()));
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_ENC_IPV6_DST)), Bytes(key.dst.bytes().begin(), key.dst.bytes().end()));
  EXPECT_EQ(act(TCA_TUNNEL_KEY_ENC_IPV4_DST), nullptr);
  // ENC_KEY_ID: be32 (the kernel reads nla_get_be32).
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_ENC_KEY_ID)), Bytes({0, 0, 0, 42}));
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_ENC_DST_PORT)), Bytes({0x17, 0xc1}));
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_NO_CSUM)), Bytes({0}));  // checksums on
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_ENC_TTL)), Bytes({64}));
  // The routing option: class 0x0162 (be16), type 0x01, 20 bytes of data.
  auto opt = [&](std::uint16_t t) {
    return path(nlh, sizeof(tcmsg),
                {TCA_OPTIONS, TCA_MATCHALL_ACT, 1, TCA_ACT_OPTIONS, TCA_TUNNEL_KEY_ENC_OPTS,
                 TCA_TUNNEL_KEY_ENC_OPTS_GENEVE, t});
  };
  ASSERT_NE(opt(TCA_TUNNEL_KEY_ENC_OPT_GENEVE_CLASS), nullptr);
  EXPECT_EQ(payload(opt(TCA_TUNNEL_KEY_ENC_OPT_GENEVE_CLASS)), Bytes({0x01, 0x62}));
  EXPECT_EQ(payload(opt(TCA_TUNNEL_KEY_ENC_OPT_GENEVE_TYPE)), Bytes({0x01}));
  Bytes expected = {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x17, 0xc1, 0xff, 0xff};
  EXPECT_EQ(payload(opt(TCA_TUNNEL_KEY_ENC_OPT_GENEVE_DATA)), expected);
}

TEST(NetlinkTc, EgressIpv4AndNoOption) {
  TunnelKey k = key_v6();
  k.src = *net::IpAddress::parse("192.0.2.1");
  k.dst = *net::IpAddress::parse("198.51.100.7");
  k.option.reset();
  Bytes m = build_egress_tunnel_key(3, k);
  auto act = [&](std::uint16_t t) {
    return path(header(m), sizeof(tcmsg), {TCA_OPTIONS, TCA_MATCHALL_ACT, 1, TCA_ACT_OPTIONS, t});
  };
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_ENC_IPV4_SRC)), Bytes({192, 0, 2, 1}));
  EXPECT_EQ(payload(act(TCA_TUNNEL_KEY_ENC_IPV4_DST)), Bytes({198, 51, 100, 7}));
  EXPECT_EQ(act(TCA_TUNNEL_KEY_ENC_OPTS), nullptr);
  k.dst = *net::IpAddress::parse("2001:db8::1");
  EXPECT_THROW(build_egress_tunnel_key(3, k), std::invalid_argument);
}

TEST(NetlinkTc, IngressAdmitsOnlyThePeer) {
  Bytes m = build_ingress_accept(3, 42, *net::IpAddress::parse("2001:db8:64::c633:645a"));
  const nlmsghdr* nlh = header(m);
  EXPECT_EQ(tcm(m)->tcm_parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
  EXPECT_EQ(tcm(m)->tcm_info >> 16, 1u);
  EXPECT_STREQ(mnl_attr_get_str(path(nlh, sizeof(tcmsg), {TCA_KIND})), "flower");
  EXPECT_EQ(payload(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_KEY_ENC_KEY_ID})), Bytes({0, 0, 0, 42}));
  EXPECT_EQ(payload(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK})), Bytes(16, 0xff));
  EXPECT_EQ(payload(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_KEY_ENC_IPV6_SRC})).size(), 16u);
  EXPECT_STREQ(mnl_attr_get_str(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 1, TCA_ACT_KIND})), "gact");
  const nlattr* g = path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 1, TCA_ACT_OPTIONS, TCA_GACT_PARMS});
  ASSERT_NE(g, nullptr);
  tc_gact gact;
  std::memcpy(&gact, mnl_attr_get_payload(g), sizeof gact);
  EXPECT_EQ(gact.action, TC_ACT_OK);

  Bytes d = build_ingress_drop(3);
  EXPECT_EQ(tcm(d)->tcm_info >> 16, 2u);  // after the accept filter
  const nlattr* dg =
      path(header(d), sizeof(tcmsg), {TCA_OPTIONS, TCA_MATCHALL_ACT, 1, TCA_ACT_OPTIONS, TCA_GACT_PARMS});
  ASSERT_NE(dg, nullptr);
  std::memcpy(&gact, mnl_attr_get_payload(dg), sizeof gact);
  EXPECT_EQ(gact.action, TC_ACT_SHOT);
}

// A server's filters (docs/kernel.md, "The server on the kernel").
TEST(NetlinkTc, FlowerDestinationToTheClientsChain) {
  FlowerMatch m;
  m.dst = Prefix{*net::IpAddress::parse("fd00:100::9"), 64};
  Bytes msg = build_flower({3, Hook::kEgress, 0, 66, 0x101, ETH_P_IPV6}, m, FilterAction::goto_chain(7), false);
  const nlmsghdr* nlh = header(msg);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWTFILTER);
  EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_EXCL);
  EXPECT_EQ(tcm(msg)->tcm_parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
  EXPECT_EQ(tcm(msg)->tcm_handle, 0x101u);
  EXPECT_EQ(tcm(msg)->tcm_info >> 16, 66u);
  EXPECT_EQ(tcm(msg)->tcm_info & 0xffff, htons(ETH_P_IPV6));
  // chain 0 is the default: not sent
  EXPECT_EQ(path(nlh, sizeof(tcmsg), {TCA_CHAIN}), nullptr);
  auto opt = [&](std::uint16_t t) { return path(nlh, sizeof(tcmsg), {TCA_OPTIONS, t}); };
  EXPECT_EQ(mnl_attr_get_u16(opt(TCA_FLOWER_KEY_ETH_TYPE)), htons(ETH_P_IPV6));
  // The network, host bits cleared, and a /64 mask.
  EXPECT_EQ(payload(opt(TCA_FLOWER_KEY_IPV6_DST)), (Bytes{0xfd, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(payload(opt(TCA_FLOWER_KEY_IPV6_DST_MASK)),
            (Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(mnl_attr_get_u32(opt(TCA_FLOWER_FLAGS)), static_cast<std::uint32_t>(TCA_CLS_FLAGS_SKIP_HW));
  const nlattr* parms = path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 1, TCA_ACT_OPTIONS, TCA_GACT_PARMS});
  ASSERT_NE(parms, nullptr);
  tc_gact g;
  std::memcpy(&g, mnl_attr_get_payload(parms), sizeof g);
  EXPECT_EQ(static_cast<std::uint32_t>(g.action), TC_ACT_GOTO_CHAIN | 7u);
  // a prefix of the other family is refused
  FlowerMatch bad;
  bad.dst = Prefix{*net::IpAddress::parse("10.0.0.0"), 8};
  EXPECT_THROW(build_flower({3, Hook::kEgress, 0, 66, 1, ETH_P_IPV6}, bad, FilterAction::drop(), false),
               std::invalid_argument);
}

TEST(NetlinkTc, FlowerWithoutKeysCarriesThePathAndTheMark) {
  TunnelKey key = key_v6();
  key.option.reset();  // a learned path: no routing option
  Bytes msg = build_flower({3, Hook::kEgress, 7, 1, 1, ETH_P_ALL}, {}, FilterAction::tunnel(key, 0x474e0007), true);
  const nlmsghdr* nlh = header(msg);
  // replace, not exclusive create: a path change is one step
  EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_REPLACE);
  EXPECT_FALSE(nlh->nlmsg_flags & NLM_F_EXCL);
  EXPECT_EQ(mnl_attr_get_u32(path(nlh, sizeof(tcmsg), {TCA_CHAIN})), 7u);
  EXPECT_EQ(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_KEY_ETH_TYPE}), nullptr);
  EXPECT_STREQ(mnl_attr_get_str(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 1, TCA_ACT_KIND})),
               "tunnel_key");
  EXPECT_EQ(mnl_attr_get_u32(
                path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 1, TCA_ACT_OPTIONS, TCA_TUNNEL_KEY_ENC_KEY_ID})),
            htonl(42));
  EXPECT_EQ(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 1, TCA_ACT_OPTIONS, TCA_TUNNEL_KEY_ENC_OPTS}),
            nullptr);
  EXPECT_STREQ(mnl_attr_get_str(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 2, TCA_ACT_KIND})), "skbedit");
  EXPECT_EQ(
      mnl_attr_get_u32(path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 2, TCA_ACT_OPTIONS, TCA_SKBEDIT_MARK})),
      0x474e0007u);
}

TEST(NetlinkTc, FlowerArpAndIcmpv6Keys) {
  FlowerMatch arp;
  arp.arp_tip = Prefix{*net::IpAddress::parse("10.1.0.2"), 24};
  Bytes a = build_flower({3, Hook::kEgress, 0, 188, 0x100, ETH_P_ARP}, arp, FilterAction::goto_chain(1), false);
  auto opt = [&](const Bytes& m, std::uint16_t t) { return path(header(m), sizeof(tcmsg), {TCA_OPTIONS, t}); };
  EXPECT_EQ(tcm(a)->tcm_info & 0xffff, htons(ETH_P_ARP));
  EXPECT_EQ(payload(opt(a, TCA_FLOWER_KEY_ARP_TIP)), (Bytes{10, 1, 0, 0}));
  EXPECT_EQ(payload(opt(a, TCA_FLOWER_KEY_ARP_TIP_MASK)), (Bytes{0xff, 0xff, 0xff, 0}));
  FlowerMatch nd;
  nd.ip_proto = IPPROTO_ICMPV6;
  nd.icmp_type = 135;
  nd.src = Prefix{*net::IpAddress::parse("fe80::"), 10};
  Bytes n = build_flower({3, Hook::kIngress, 65536, 1, 135, ETH_P_IPV6}, nd, FilterAction::accept(), false);
  EXPECT_EQ(tcm(n)->tcm_parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
  EXPECT_EQ(mnl_attr_get_u32(path(header(n), sizeof(tcmsg), {TCA_CHAIN})), 65536u);
  EXPECT_EQ(mnl_attr_get_u8(opt(n, TCA_FLOWER_KEY_IP_PROTO)), IPPROTO_ICMPV6);
  EXPECT_EQ(mnl_attr_get_u8(opt(n, TCA_FLOWER_KEY_ICMPV6_TYPE)), 135);
  EXPECT_EQ(mnl_attr_get_u8(opt(n, TCA_FLOWER_KEY_ICMPV6_TYPE_MASK)), 0xff);
  EXPECT_EQ(payload(opt(n, TCA_FLOWER_KEY_IPV6_SRC_MASK)),
            (Bytes{0xff, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_THROW(build_flower({3, Hook::kEgress, 0, 1, 1, ETH_P_IPV6}, arp, FilterAction::drop(), false),
               std::invalid_argument);
}

// u32 keys are (mask, value, offset) in network order from the IPv6 header.
TEST(NetlinkTc, SolicitationTargetInAPrefix) {
  Bytes m = build_solicitation_target({3, Hook::kEgress, 0, 300, 0, ETH_P_IPV6},
                                      {*net::IpAddress::parse("fd01:0:0:1::"), 64}, FilterAction::goto_chain(1));
  const nlmsghdr* nlh = header(m);
  EXPECT_STREQ(mnl_attr_get_str(path(nlh, sizeof(tcmsg), {TCA_KIND})), "u32");
  const nlattr* sel = path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_U32_SEL});
  ASSERT_NE(sel, nullptr);
  tc_u32_sel s;
  std::memcpy(&s, mnl_attr_get_payload(sel), sizeof s);
  EXPECT_EQ(s.flags, TC_U32_TERMINAL);
  ASSERT_EQ(s.nkeys, 4);  // next header, type, two words of the /64
  ASSERT_EQ(mnl_attr_get_payload_len(sel), sizeof s + 4 * sizeof(tc_u32_key));
  std::vector<tc_u32_key> k(4);
  std::memcpy(k.data(), static_cast<const std::uint8_t*>(mnl_attr_get_payload(sel)) + sizeof s, 4 * sizeof(tc_u32_key));
  EXPECT_EQ(k[0].off, 4);
  EXPECT_EQ(ntohl(k[0].mask), 0x0000ff00u);
  EXPECT_EQ(ntohl(k[0].val), 58u << 8);
  EXPECT_EQ(k[1].off, 40);
  EXPECT_EQ(ntohl(k[1].val), 135u << 24);
  EXPECT_EQ(k[2].off, 48);
  EXPECT_EQ(ntohl(k[2].val), 0xfd010000u);
  EXPECT_EQ(ntohl(k[2].mask), 0xffffffffu);
  EXPECT_EQ(k[3].off, 52);
  EXPECT_EQ(ntohl(k[3].val), 0x00000001u);
  Bytes p = build_solicitation_target({3, Hook::kEgress, 0, 300, 0, ETH_P_IPV6}, {*net::IpAddress::parse("fd01::"), 20},
                                      FilterAction::goto_chain(1));
  std::memcpy(&s, mnl_attr_get_payload(path(header(p), sizeof(tcmsg), {TCA_OPTIONS, TCA_U32_SEL})), sizeof s);
  EXPECT_EQ(s.nkeys, 3);
  EXPECT_THROW(build_solicitation_target({3, Hook::kEgress, 0, 300, 0, ETH_P_IP},
                                         {*net::IpAddress::parse("10.0.0.0"), 8}, FilterAction::drop()),
               std::invalid_argument);
}

TEST(NetlinkTc, MatchallDropAndDelete) {
  Bytes d = build_matchall_drop({3, Hook::kIngress, 5, 900, 1, 0x88b5});
  EXPECT_STREQ(mnl_attr_get_str(path(header(d), sizeof(tcmsg), {TCA_KIND})), "matchall");
  EXPECT_EQ(tcm(d)->tcm_info & 0xffff, htons(0x88b5));
  EXPECT_EQ(mnl_attr_get_u32(path(header(d), sizeof(tcmsg), {TCA_CHAIN})), 5u);
  Bytes x = build_delete_filter({3, Hook::kEgress, 0, 66, 0x101, ETH_P_IPV6});
  EXPECT_EQ(header(x)->nlmsg_type, RTM_DELTFILTER);
  EXPECT_EQ(tcm(x)->tcm_handle, 0x101u);
  EXPECT_EQ(tcm(x)->tcm_info >> 16, 66u);
}

TEST(NetlinkTc, ClientIngressByExactOuterPathToItsChain) {
  net::Endpoint from{*net::IpAddress::parse("2001:db8:64:5::cb00:7102"), 40001};
  net::Endpoint to{*net::IpAddress::parse("2001:db8:5::1"), 6081};
  Bytes m = build_client_ingress({3, Hook::kIngress, 0, 10, 1}, 42, from, to, 1, true);
  const nlmsghdr* nlh = header(m);
  EXPECT_EQ(tcm(m)->tcm_parent, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
  auto opt = [&](std::uint16_t t) { return path(nlh, sizeof(tcmsg), {TCA_OPTIONS, t}); };
  EXPECT_EQ(mnl_attr_get_u32(opt(TCA_FLOWER_KEY_ENC_KEY_ID)), htonl(42));
  EXPECT_EQ(payload(opt(TCA_FLOWER_KEY_ENC_IPV6_SRC)), Bytes(from.address.bytes().begin(), from.address.bytes().end()));
  EXPECT_EQ(payload(opt(TCA_FLOWER_KEY_ENC_IPV6_DST)), Bytes(to.address.bytes().begin(), to.address.bytes().end()));
  EXPECT_EQ(mnl_attr_get_u16(opt(TCA_FLOWER_KEY_ENC_UDP_SRC_PORT)), htons(40001));
  EXPECT_EQ(mnl_attr_get_u16(opt(TCA_FLOWER_KEY_ENC_UDP_SRC_PORT_MASK)), 0xffff);
  EXPECT_EQ(mnl_attr_get_u16(opt(TCA_FLOWER_KEY_ENC_UDP_DST_PORT)), htons(6081));
  const nlattr* parms = path(nlh, sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_ACT, 1, TCA_ACT_OPTIONS, TCA_GACT_PARMS});
  ASSERT_NE(parms, nullptr);
  tc_gact g;
  std::memcpy(&g, mnl_attr_get_payload(parms), sizeof g);
  EXPECT_EQ(static_cast<std::uint32_t>(g.action), TC_ACT_GOTO_CHAIN | 1u);
  EXPECT_THROW(build_client_ingress({3, Hook::kIngress, 0, 10, 1}, 42, from,
                                    net::Endpoint{*net::IpAddress::parse("192.0.2.1"), 6081}, 1, true),
               std::invalid_argument);
  // An address, any port (direct, PATH)
  Bytes a = build_client_ingress({3, Hook::kIngress, 0, 12, 4}, 42, from, to, 1, false);
  EXPECT_EQ(path(header(a), sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_KEY_ENC_UDP_SRC_PORT}), nullptr);
  EXPECT_NE(path(header(a), sizeof(tcmsg), {TCA_OPTIONS, TCA_FLOWER_KEY_ENC_IPV6_SRC}), nullptr);
}

}  // namespace
}  // namespace gn::netlink
