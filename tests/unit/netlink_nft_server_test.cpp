// The server's nftables table (netlink/nft_server.hpp): message sequence,
// the maps' key and data, and every rule's bytecode as libnftnl prints it,
// against what `nft --debug=netlink` (nftables 1.0.6) printed for the
// equivalent nft(8) text (in the comments). Element batches likewise.
#include <netinet/in.h>  // before the linux/ headers, which include linux/in.h

#include <gtest/gtest.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "netlink/nft_server.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;
using Lines = std::vector<std::string>;

std::vector<const nlmsghdr*> messages(const Bytes& m) {
  std::vector<const nlmsghdr*> out;
  int len = static_cast<int>(m.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(m.data()); mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
    out.push_back(nlh);
  return out;
}

std::uint16_t nft_type(std::uint16_t msg) {
  return static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
}

// Every "[ ... ]" line of a libnftnl listing, in order.
Lines bracketed(const std::string& text) {
  Lines out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto a = line.find('['), b = line.rfind(']');
    if (a != std::string::npos && b != std::string::npos && b > a) out.push_back(line.substr(a, b - a + 1));
  }
  return out;
}

Lines rule_expressions(const nlmsghdr* nlh) {
  nftnl_rule* r = nftnl_rule_alloc();
  EXPECT_GE(nftnl_rule_nlmsg_parse(nlh, r), 0);
  char buf[4096];
  nftnl_rule_snprintf(buf, sizeof buf, r, NFTNL_OUTPUT_DEFAULT, 0);
  nftnl_rule_free(r);
  return bracketed(buf);
}

// The "element ..." lines of an element message.
std::string elements(const nlmsghdr* nlh) {
  nftnl_set* s = nftnl_set_alloc();
  EXPECT_GE(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
  char buf[4096];
  nftnl_set_snprintf(buf, sizeof buf, s, NFTNL_OUTPUT_DEFAULT, 0);
  nftnl_set_free(s);
  std::string text = buf;
  auto at = text.find("element");
  return at == std::string::npos ? text : text.substr(at);
}

ServerTableSpec spec() {
  ServerTableSpec s;
  s.table = "geneve_nat64_gns";
  s.comment = "geneve-nat64 pid=1234 start=5678";
  s.capture.group = 7;
  s.capture.rate_per_second = 400;
  s.capture.burst = 100;
  return s;
}

// begin, table, counter, dport6, dport4, chain output, 5 rules, chain
// input, 2 capture rules, end.
constexpr std::size_t kMessages = 15;

TEST(NetlinkNftServer, OneBatchOfTableCounterMapsChainsRules) {
  Bytes m = build_server_table_batch(spec());
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), kMessages);
  const std::uint16_t types[] = {NFNL_MSG_BATCH_BEGIN,      nft_type(NFT_MSG_NEWTABLE), nft_type(NFT_MSG_NEWOBJ),
                                 nft_type(NFT_MSG_NEWSET),  nft_type(NFT_MSG_NEWSET),   nft_type(NFT_MSG_NEWCHAIN),
                                 nft_type(NFT_MSG_NEWRULE), nft_type(NFT_MSG_NEWRULE),  nft_type(NFT_MSG_NEWRULE),
                                 nft_type(NFT_MSG_NEWRULE), nft_type(NFT_MSG_NEWRULE),  nft_type(NFT_MSG_NEWCHAIN),
                                 nft_type(NFT_MSG_NEWRULE), nft_type(NFT_MSG_NEWRULE),  NFNL_MSG_BATCH_END};
  for (std::size_t i = 0; i < kMessages; ++i) {
    EXPECT_EQ(msgs[i]->nlmsg_type, types[i]) << "message " << i;
    if (i > 0 && i + 1 < kMessages) {
      EXPECT_TRUE(msgs[i]->nlmsg_flags & NLM_F_ACK) << "message " << i;
    }
  }

  nftnl_obj* o = nftnl_obj_alloc();
  ASSERT_GE(nftnl_obj_nlmsg_parse(msgs[2], o), 0);
  EXPECT_STREQ(nftnl_obj_get_str(o, NFTNL_OBJ_NAME), "unmapped");
  EXPECT_EQ(nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE), static_cast<std::uint32_t>(NFT_OBJECT_COUNTER));
  nftnl_obj_free(o);

  // What nft 1.0.6 sends for map dport6 { type mark . ipv6_addr :
  // inet_service; }: flags map, key type 0x4c8, key 20 bytes, data type 13,
  // 2 bytes (dport4: 0x4c7, 8 bytes).
  struct {
    const char* name;
    std::uint32_t key_type, key_len, id;
  } maps[] = {{"dport6", 0x4c8, 20, 1}, {"dport4", 0x4c7, 8, 2}};
  for (int i = 0; i < 2; ++i) {
    nftnl_set* s = nftnl_set_alloc();
    ASSERT_GE(nftnl_set_nlmsg_parse(msgs[3 + i], s), 0);
    EXPECT_STREQ(nftnl_set_get_str(s, NFTNL_SET_NAME), maps[i].name);
    EXPECT_EQ(nftnl_set_get_u32(s, NFTNL_SET_FLAGS), static_cast<std::uint32_t>(NFT_SET_MAP));
    EXPECT_EQ(nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE), maps[i].key_type);
    EXPECT_EQ(nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN), maps[i].key_len);
    EXPECT_EQ(nftnl_set_get_u32(s, NFTNL_SET_DATA_TYPE), 13u);
    EXPECT_EQ(nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN), 2u);
    EXPECT_EQ(nftnl_set_get_u32(s, NFTNL_SET_ID), maps[i].id);
    nftnl_set_free(s);
  }
}

TEST(NetlinkNftServer, OutputRulesAsNftPrintsThem) {
  Bytes m = build_server_table_batch(spec());
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), kMessages);
  // meta mark 0x474e0000 notrack accept
  EXPECT_EQ(rule_expressions(msgs[6]), (Lines{
                                           "[ meta load mark => reg 1 ]",
                                           "[ cmp eq reg 1 0x474e0000 ]",
                                           "[ notrack ]",
                                           "[ immediate reg 0 accept ]",
                                       }));
  // meta mark & 0xffff0000 != 0x474e0000 accept
  EXPECT_EQ(rule_expressions(msgs[7]), (Lines{
                                           "[ meta load mark => reg 1 ]",
                                           "[ bitwise reg 1 = ( reg 1 & 0xffff0000 ) ^ 0x00000000 ]",
                                           "[ cmp neq reg 1 0x474e0000 ]",
                                           "[ immediate reg 0 accept ]",
                                       }));
  // meta nfproto ipv6 udp dport 6081 udp dport set meta mark . ip6 daddr
  //   map @dport6 udp sport set 6081 meta mark set 0 notrack accept
  EXPECT_EQ(rule_expressions(msgs[8]),
            (Lines{
                "[ meta load nfproto => reg 1 ]",
                "[ cmp eq reg 1 0x0000000a ]",
                "[ meta load l4proto => reg 1 ]",
                "[ cmp eq reg 1 0x00000011 ]",
                "[ payload load 2b @ transport header + 2 => reg 1 ]",
                "[ cmp eq reg 1 0x0000c117 ]",
                "[ meta load mark => reg 1 ]",
                "[ payload load 16b @ network header + 24 => reg 9 ]",
                "[ lookup reg 1 set dport6 dreg 1 ]",
                "[ payload write reg 1 => 2b @ transport header + 2 csum_type 1 csum_off 6 csum_flags 0x0 ]",
                "[ immediate reg 1 0x0000c117 ]",
                "[ payload write reg 1 => 2b @ transport header + 0 csum_type 1 csum_off 6 csum_flags 0x0 ]",
                "[ immediate reg 1 0x00000000 ]",
                "[ meta set mark with reg 1 ]",
                "[ notrack ]",
                "[ immediate reg 0 accept ]",
            }));
  // meta nfproto ipv4 udp dport 6081 udp checksum != 0 udp dport set
  //   meta mark . ip daddr map @dport4 udp sport set 6081 meta mark set 0 notrack accept
  EXPECT_EQ(rule_expressions(msgs[9]),
            (Lines{
                "[ meta load nfproto => reg 1 ]",
                "[ cmp eq reg 1 0x00000002 ]",
                "[ meta load l4proto => reg 1 ]",
                "[ cmp eq reg 1 0x00000011 ]",
                "[ payload load 2b @ transport header + 2 => reg 1 ]",
                "[ cmp eq reg 1 0x0000c117 ]",
                "[ payload load 2b @ transport header + 6 => reg 1 ]",
                "[ cmp neq reg 1 0x00000000 ]",
                "[ meta load mark => reg 1 ]",
                "[ payload load 4b @ network header + 16 => reg 9 ]",
                "[ lookup reg 1 set dport4 dreg 1 ]",
                "[ payload write reg 1 => 2b @ transport header + 2 csum_type 1 csum_off 6 csum_flags 0x0 ]",
                "[ immediate reg 1 0x0000c117 ]",
                "[ payload write reg 1 => 2b @ transport header + 0 csum_type 1 csum_off 6 csum_flags 0x0 ]",
                "[ immediate reg 1 0x00000000 ]",
                "[ meta set mark with reg 1 ]",
                "[ notrack ]",
                "[ immediate reg 0 accept ]",
            }));
  // counter name "unmapped" drop. libnftnl sends the name without its NUL
  // (the kernel takes it so) and its parser then reads on past it: the name
  // is checked in the message itself.
  auto drop = rule_expressions(msgs[10]);
  ASSERT_EQ(drop.size(), 2u);
  EXPECT_EQ(drop[0].rfind("[ objref type 1 name unmapped", 0), 0u) << drop[0];
  EXPECT_EQ(drop[1], "[ immediate reg 0 drop ]");
  const nlattr* name =
      path(msgs[10], sizeof(nfgenmsg), {NFTA_RULE_EXPRESSIONS, NFTA_LIST_ELEM, NFTA_EXPR_DATA, NFTA_OBJREF_IMM_NAME});
  ASSERT_NE(name, nullptr);
  auto bytes = payload(name);
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "unmapped");
}

TEST(NetlinkNftServer, NoSourcePortWriteWhenTheKernelPinsIt) {
  ServerTableSpec s = spec();
  s.port = 4789;
  s.pin_source_port = false;
  Bytes m = build_server_table_batch(s);
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), kMessages);
  // meta nfproto ipv6 udp dport 4789 udp dport set meta mark . ip6 daddr
  //   map @dport6 meta mark set 0 notrack accept
  EXPECT_EQ(rule_expressions(msgs[8]),
            (Lines{
                "[ meta load nfproto => reg 1 ]",
                "[ cmp eq reg 1 0x0000000a ]",
                "[ meta load l4proto => reg 1 ]",
                "[ cmp eq reg 1 0x00000011 ]",
                "[ payload load 2b @ transport header + 2 => reg 1 ]",
                "[ cmp eq reg 1 0x0000b512 ]",
                "[ meta load mark => reg 1 ]",
                "[ payload load 16b @ network header + 24 => reg 9 ]",
                "[ lookup reg 1 set dport6 dreg 1 ]",
                "[ payload write reg 1 => 2b @ transport header + 2 csum_type 1 csum_off 6 csum_flags 0x0 ]",
                "[ immediate reg 1 0x00000000 ]",
                "[ meta set mark with reg 1 ]",
                "[ notrack ]",
                "[ immediate reg 0 accept ]",
            }));
  for (const auto& line : rule_expressions(msgs[9]))
    EXPECT_EQ(line.find("transport header + 0 "), std::string::npos) << line;
}

TEST(NetlinkNftServer, OtherMarkTagAndMask) {
  ServerTableSpec s = spec();
  s.mark_tag = 0x00a00000;
  s.mark_mask = 0x00f00000;
  Bytes m = build_server_table_batch(s);
  auto msgs = messages(m);
  EXPECT_EQ(rule_expressions(msgs[6])[1], "[ cmp eq reg 1 0x00a00000 ]");
  EXPECT_EQ(rule_expressions(msgs[7])[1], "[ bitwise reg 1 = ( reg 1 & 0x00f00000 ) ^ 0x00000000 ]");
  EXPECT_EQ(rule_expressions(msgs[7])[2], "[ cmp neq reg 1 0x00a00000 ]");
}

TEST(NetlinkNftServer, RefusesATagThatTakesUnmarkedPacketsOrMissesTheMask) {
  ServerTableSpec s = spec();
  s.mark_tag = 0;
  EXPECT_THROW(build_server_table_batch(s), std::invalid_argument);
  s.mark_tag = 0x474e0001;
  EXPECT_THROW(build_server_table_batch(s), std::invalid_argument);
  s.mark_tag = 0x474e0000;
  s.mark_mask = 0;
  EXPECT_THROW(build_server_table_batch(s), std::invalid_argument);
}

TEST(NetlinkNftServer, CaptureChainAsControlCaptureBuildsIt) {
  Bytes server = build_server_table_batch(spec());
  ControlCaptureRule rule{"geneve_nat64_gns", "x", 6081, spec().capture};
  Bytes capture = build_control_capture_batch(rule);
  auto s = messages(server), c = messages(capture);
  ASSERT_EQ(c.size(), 6u);  // begin, table, chain, two rules, end
  for (int i = 0; i < 2; ++i) EXPECT_EQ(rule_expressions(s[12 + i]), rule_expressions(c[3 + i])) << "rule " << i;
  auto opt0 = rule_expressions(s[12]);
  ASSERT_FALSE(opt0.empty());
  // limit rate 400/second burst 100 packets log group 7
  EXPECT_EQ(opt0[opt0.size() - 2], "[ limit rate 400/second burst 100 type packets flags 0x0 ]");
  EXPECT_EQ(opt0.back(), "[ log group 7 snaplen 0 qthreshold 0 ]");
}

TEST(NetlinkNftServer, AddElementAsNftPrintsIt) {
  // add element inet geneve_nat64_gns dport6 { 0x474e0001 . 2001:db8:64:5::cb00:7102 : 40001 }
  Bytes m = build_port_batch("geneve_nat64_gns", PortChange::kAdd, 0x474e0001,
                             *net::IpAddress::parse("2001:db8:64:5::cb00:7102"), 40001);
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1]->nlmsg_type, nft_type(NFT_MSG_NEWSETELEM));
  EXPECT_TRUE(msgs[1]->nlmsg_flags & NLM_F_CREATE);
  EXPECT_FALSE(msgs[1]->nlmsg_flags & NLM_F_EXCL);  // the same element again is no error
  EXPECT_EQ(elements(msgs[1]), "element 474e0001 b80d0120 05006400 00000000 027100cb  : 0000419c 0 [end]");

  // add element inet geneve_nat64_gns dport4 { 0x474e0002 . 192.0.2.7 : 40002 }
  m = build_port_batch("geneve_nat64_gns", PortChange::kAdd, 0x474e0002, *net::IpAddress::parse("192.0.2.7"), 40002);
  msgs = messages(m);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(elements(msgs[1]), "element 474e0002 070200c0  : 0000429c 0 [end]");
  nftnl_set* s = nftnl_set_alloc();
  ASSERT_GE(nftnl_set_elems_nlmsg_parse(msgs[1], s), 0);
  EXPECT_STREQ(nftnl_set_get_str(s, NFTNL_SET_NAME), "dport4");
  EXPECT_STREQ(nftnl_set_get_str(s, NFTNL_SET_TABLE), "geneve_nat64_gns");
  nftnl_set_free(s);
}

TEST(NetlinkNftServer, ReplaceIsDeleteThenAddInOneBatch) {
  Bytes m = build_port_batch("geneve_nat64_gns", PortChange::kReplace, 0x474e0001,
                             *net::IpAddress::parse("2001:db8:64:5::cb00:7102"), 40003);
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(msgs[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs[1]->nlmsg_type, nft_type(NFT_MSG_DELSETELEM));
  EXPECT_EQ(msgs[2]->nlmsg_type, nft_type(NFT_MSG_NEWSETELEM));
  EXPECT_EQ(msgs[3]->nlmsg_type, NFNL_MSG_BATCH_END);
  // delete element inet geneve_nat64_gns dport6 { 0x474e0001 . 2001:db8:64:5::cb00:7102 }
  EXPECT_EQ(elements(msgs[1]), "element 474e0001 b80d0120 05006400 00000000 027100cb  : 0 [end]");
  EXPECT_EQ(elements(msgs[2]), "element 474e0001 b80d0120 05006400 00000000 027100cb  : 0000439c 0 [end]");
}

TEST(NetlinkNftServer, RemoveIsOneDelete) {
  Bytes m =
      build_port_batch("geneve_nat64_gns", PortChange::kRemove, 0x474e0002, *net::IpAddress::parse("192.0.2.7"), 0);
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1]->nlmsg_type, nft_type(NFT_MSG_DELSETELEM));
  EXPECT_EQ(elements(msgs[1]), "element 474e0002 070200c0  : 0 [end]");
}

TEST(NetlinkNftServer, GetCounterNamesTableObjectAndType) {
  Bytes m = build_get_unmapped_counter("geneve_nat64_gns");
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0]->nlmsg_type, nft_type(NFT_MSG_GETOBJ));
  EXPECT_FALSE(msgs[0]->nlmsg_flags & NLM_F_DUMP);
  nftnl_obj* o = nftnl_obj_alloc();
  ASSERT_GE(nftnl_obj_nlmsg_parse(msgs[0], o), 0);
  EXPECT_STREQ(nftnl_obj_get_str(o, NFTNL_OBJ_TABLE), "geneve_nat64_gns");
  EXPECT_STREQ(nftnl_obj_get_str(o, NFTNL_OBJ_NAME), "unmapped");
  EXPECT_EQ(nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE), static_cast<std::uint32_t>(NFT_OBJECT_COUNTER));
  nftnl_obj_free(o);
}

}  // namespace
}  // namespace gn::netlink
