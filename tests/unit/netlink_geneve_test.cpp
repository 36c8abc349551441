// GENEVE link messages against linux/if_link.h and the kernel's
// geneve_policy (drivers/net/geneve.c): attribute types, payload lengths
// (u8, u16 network order, u32, 4/16-byte addresses, flag) and values.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <algorithm>

#include "netlink/geneve.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;

const nlattr* data_attr(const Bytes& m, std::uint16_t type) {
  return path(header(m), sizeof(ifinfomsg), {IFLA_LINKINFO, IFLA_INFO_DATA, type});
}

GeneveParams plain_v6() {
  GeneveParams p;
  p.ifname = "gnv0";
  p.vni = 0x123456;
  p.remote = net::IpAddress::parse("2001:db8::2");
  p.port = 6081;
  p.ttl = 64;
  p.tos = 0;
  p.label = 0xabcde;
  p.source_port = 6081;
  p.mtu = 1406;
  p.alias = "geneve-nat64 pid=1 start=2";
  return p;
}

TEST(NetlinkGeneve, NewLinkHeaderAndLinkAttributes) {
  Bytes m = build_new_geneve(plain_v6());
  const nlmsghdr* nlh = header(m);
  EXPECT_EQ(nlh->nlmsg_len, m.size());
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const nlattr* name = path(nlh, sizeof(ifinfomsg), {IFLA_IFNAME});
  ASSERT_NE(name, nullptr);
  EXPECT_STREQ(mnl_attr_get_str(name), "gnv0");
  EXPECT_EQ(mnl_attr_get_payload_len(name), 5u);  // NUL-terminated
  const nlattr* mtu = path(nlh, sizeof(ifinfomsg), {IFLA_MTU});
  ASSERT_NE(mtu, nullptr);
  EXPECT_EQ(mnl_attr_get_u32(mtu), 1406u);
  const nlattr* alias = path(nlh, sizeof(ifinfomsg), {IFLA_IFALIAS});
  ASSERT_NE(alias, nullptr);
  EXPECT_STREQ(mnl_attr_get_str(alias), "geneve-nat64 pid=1 start=2");
  const nlattr* kind = path(nlh, sizeof(ifinfomsg), {IFLA_LINKINFO, IFLA_INFO_KIND});
  ASSERT_NE(kind, nullptr);
  EXPECT_STREQ(mnl_attr_get_str(kind), "geneve");
}

TEST(NetlinkGeneve, PlainIpv6DeviceAttributes) {
  Bytes m = build_new_geneve(plain_v6());
  // IFLA_GENEVE_ID: NLA_U32, host order (the kernel range-checks < 2^24).
  const nlattr* id = data_attr(m, IFLA_GENEVE_ID);
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(mnl_attr_get_payload_len(id), 4u);
  EXPECT_EQ(mnl_attr_get_u32(id), 0x123456u);
  // IFLA_GENEVE_REMOTE6: 16 bytes (sizeof(struct in6_addr)).
  const nlattr* r6 = data_attr(m, IFLA_GENEVE_REMOTE6);
  ASSERT_NE(r6, nullptr);
  EXPECT_EQ(payload(r6), Bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
  EXPECT_EQ(data_attr(m, IFLA_GENEVE_REMOTE), nullptr);
  // IFLA_GENEVE_PORT: NLA_U16 in network order (nla_get_be16).
  const nlattr* port = data_attr(m, IFLA_GENEVE_PORT);
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(payload(port), Bytes({0x17, 0xc1}));
  // TTL, TOS: NLA_U8.
  ASSERT_NE(data_attr(m, IFLA_GENEVE_TTL), nullptr);
  EXPECT_EQ(payload(data_attr(m, IFLA_GENEVE_TTL)), Bytes({64}));
  EXPECT_EQ(payload(data_attr(m, IFLA_GENEVE_TOS)), Bytes({0}));
  // IFLA_GENEVE_LABEL: NLA_U32, be32, within IPV6_FLOWLABEL_MASK.
  EXPECT_EQ(payload(data_attr(m, IFLA_GENEVE_LABEL)), Bytes({0x00, 0x0a, 0xbc, 0xde}));
  // Checksums: IPv6 sends and requires them; UDP_CSUM is for IPv4 only.
  EXPECT_EQ(payload(data_attr(m, IFLA_GENEVE_UDP_ZERO_CSUM6_TX)), Bytes({0}));
  EXPECT_EQ(payload(data_attr(m, IFLA_GENEVE_UDP_ZERO_CSUM6_RX)), Bytes({0}));
  EXPECT_EQ(data_attr(m, IFLA_GENEVE_UDP_CSUM), nullptr);
  // DF: NLA_U8, GENEVE_DF_SET.
  EXPECT_EQ(payload(data_attr(m, IFLA_GENEVE_DF)), Bytes({GENEVE_DF_SET}));
  EXPECT_EQ(data_attr(m, IFLA_GENEVE_COLLECT_METADATA), nullptr);
}

TEST(NetlinkGeneve, PortRangePinsOnePortAsHalfOpenRange) {
  // include/uapi/linux/if_link.h (6.16+): IFLA_GENEVE_PORT_RANGE follows
  // IFLA_GENEVE_INNER_PROTO_INHERIT (14); NLA_POLICY_EXACT_LEN(4); low and
  // high __be16. udp_flow_src_port() falls back to the ephemeral range when
  // low >= high, so one port p is [p, p+1].
  static_assert(IFLA_GENEVE_INNER_PROTO_INHERIT == 14);
  EXPECT_EQ(kIflaGenevePortRange, 15);
  Bytes m = build_new_geneve(plain_v6());
  const nlattr* range = data_attr(m, kIflaGenevePortRange);
  ASSERT_NE(range, nullptr);
  EXPECT_EQ(payload(range), Bytes({0x17, 0xc1, 0x17, 0xc2}));
  GeneveParams p = plain_v6();
  p.source_port = 65535;  // cannot be pinned by a range: left to nftables
  EXPECT_EQ(data_attr(build_new_geneve(p), kIflaGenevePortRange), nullptr);
  p.source_port.reset();
  EXPECT_EQ(data_attr(build_new_geneve(p), kIflaGenevePortRange), nullptr);
}

TEST(NetlinkGeneve, PlainIpv4DeviceTurnsChecksumsOn) {
  GeneveParams p = plain_v6();
  p.remote = net::IpAddress::parse("192.0.2.7");
  Bytes m = build_new_geneve(p);
  const nlattr* r4 = data_attr(m, IFLA_GENEVE_REMOTE);
  ASSERT_NE(r4, nullptr);
  EXPECT_EQ(payload(r4), Bytes({192, 0, 2, 7}));
  EXPECT_EQ(data_attr(m, IFLA_GENEVE_REMOTE6), nullptr);
  EXPECT_EQ(payload(data_attr(m, IFLA_GENEVE_UDP_CSUM)), Bytes({1}));
  EXPECT_EQ(data_attr(m, IFLA_GENEVE_LABEL), nullptr);  // IPv6 only
}

TEST(NetlinkGeneve, ExternalDeviceCarriesNoPerTunnelAttributes) {
  GeneveParams p = plain_v6();
  p.external = true;
  Bytes m = build_new_geneve(p);
  // COLLECT_METADATA: NLA_FLAG, no payload.
  const nlattr* md = data_attr(m, IFLA_GENEVE_COLLECT_METADATA);
  ASSERT_NE(md, nullptr);
  EXPECT_EQ(mnl_attr_get_payload_len(md), 0u);
  // geneve_configure() refuses an external device with any of these
  // ("Device is externally controlled, so attributes (VNI, Port, and so on)
  // must not be specified"): tunnel_key sets them per packet.
  for (std::uint16_t t : {IFLA_GENEVE_ID, IFLA_GENEVE_REMOTE, IFLA_GENEVE_REMOTE6, IFLA_GENEVE_TTL, IFLA_GENEVE_TOS,
                          IFLA_GENEVE_LABEL, IFLA_GENEVE_UDP_CSUM})
    EXPECT_EQ(data_attr(m, t), nullptr) << "attribute " << t;
  EXPECT_NE(data_attr(m, IFLA_GENEVE_PORT), nullptr);
  EXPECT_NE(data_attr(m, IFLA_GENEVE_DF), nullptr);
}

TEST(NetlinkGeneve, DeleteGetAndAlias) {
  Bytes del = build_del_link(7);
  EXPECT_EQ(header(del)->nlmsg_type, RTM_DELLINK);
  EXPECT_EQ(static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(header(del)))->ifi_index, 7);
  Bytes get = build_get_link("gnv0");
  EXPECT_EQ(header(get)->nlmsg_type, RTM_GETLINK);
  EXPECT_STREQ(mnl_attr_get_str(path(header(get), sizeof(ifinfomsg), {IFLA_IFNAME})), "gnv0");
  EXPECT_TRUE(header(build_get_link(""))->nlmsg_flags & NLM_F_DUMP);
  Bytes alias = build_set_alias(7, "x");
  EXPECT_EQ(header(alias)->nlmsg_type, RTM_NEWLINK);
  EXPECT_FALSE(header(alias)->nlmsg_flags & NLM_F_CREATE);
}

TEST(NetlinkGeneve, ParseLinkReadsBackWhatTheKernelReports) {
  // A kernel answer looks like our request plus IFLA_STATS64: reuse one.
  GeneveParams p = plain_v6();
  p.external = true;
  Bytes m = build_new_geneve(p);
  rtnl_link_stats64 stats{};
  stats.rx_packets = 5;
  stats.tx_bytes = 1234;
  stats.rx_dropped = 2;
  auto* nlh = reinterpret_cast<nlmsghdr*>(m.data());
  m.resize(m.size() + 1024);
  nlh = reinterpret_cast<nlmsghdr*>(m.data());
  mnl_attr_put(nlh, IFLA_STATS64, sizeof stats, &stats);
  const std::uint8_t mac[6] = {0x02, 0x47, 0x4e, 0, 0, 1};
  mnl_attr_put(nlh, IFLA_ADDRESS, sizeof mac, mac);
  LinkInfo info = parse_link(nlh);
  ASSERT_TRUE(info.hardware_address);
  EXPECT_EQ((*info.hardware_address)[1], 0x47);
  EXPECT_EQ((*info.hardware_address)[5], 1);
  EXPECT_EQ(info.ifname, "gnv0");
  EXPECT_EQ(info.kind, "geneve");
  EXPECT_EQ(info.alias, p.alias);
  EXPECT_TRUE(info.external);
  EXPECT_EQ(info.port, 6081);
  ASSERT_TRUE(info.port_range);
  EXPECT_EQ(info.port_range->first, 6081);
  EXPECT_EQ(info.port_range->second, 6082);
  EXPECT_EQ(info.stats.rx_packets, 5u);
  EXPECT_EQ(info.stats.tx_bytes, 1234u);
  EXPECT_EQ(info.stats.rx_dropped, 2u);
}

TEST(NetlinkGeneve, ParseLinkSkipsAttributesOfTheWrongLength) {
  Bytes m(256, 0);
  auto* nlh = mnl_nlmsg_put_header(m.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  mnl_attr_put_u16(nlh, IFLA_MTU, 1400);       // u32 in ifla_policy
  mnl_attr_put(nlh, IFLA_ADDRESS, 4, "abcd");  // not an Ethernet address
  mnl_attr_put(nlh, IFLA_IFNAME, 4, "gnv0");   // no NUL
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);  // before the kind, as the kernel may
  mnl_attr_put_u32(nlh, IFLA_GENEVE_PORT, 6081);            // u16 in geneve_policy
  mnl_attr_put_u32(nlh, IFLA_GENEVE_ID, 42);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "geneve");
  mnl_attr_nest_end(nlh, linkinfo);
  LinkInfo info = parse_link(nlh);
  EXPECT_EQ(info.mtu, 0u);
  EXPECT_FALSE(info.hardware_address);
  EXPECT_EQ(info.ifname, "");
  EXPECT_EQ(info.kind, "geneve");
  EXPECT_EQ(info.vni, 42u);
  EXPECT_EQ(info.port, 0);
}

TEST(NetlinkGeneve, ParseLinkReadsNoGeneveDataOfOtherKinds) {
  Bytes m(256, 0);
  auto* nlh = mnl_nlmsg_put_header(m.data());
  nlh->nlmsg_type = RTM_NEWLINK;
  mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg));
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u32(nlh, IFLA_GENEVE_ID, 42);  // another attribute of vxlan's
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  LinkInfo info = parse_link(nlh);
  EXPECT_EQ(info.kind, "vxlan");
  EXPECT_EQ(info.vni, 0u);
}

}  // namespace
}  // namespace gn::netlink
