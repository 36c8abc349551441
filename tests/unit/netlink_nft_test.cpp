// The nftables source-port batch: message sequence, table flags and
// comment, chain hook, and the rule's bytecode as libnftnl prints it (the
// same listing `nft --debug=netlink` gives for the equivalent nft(8) rule).
#include <netinet/in.h>  // before the linux/ headers, which include linux/in.h

#include <gtest/gtest.h>
#include <libnftnl/chain.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <string>

#include "netlink/nft.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;

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

SourcePortRule rule_v6() {
  SourcePortRule r;
  r.table = source_port_table("gnv0");
  r.comment = "geneve-nat64 pid=1 start=2";
  r.peer = *net::IpAddress::parse("2001:db8::2");
  r.peer_port = 6081;
  r.vni = 42;
  r.source_port = 6081;
  return r;
}

std::string rule_text(const nlmsghdr* nlh) {
  nftnl_rule* r = nftnl_rule_alloc();
  EXPECT_GE(nftnl_rule_nlmsg_parse(nlh, r), 0);
  char buf[4096];
  nftnl_rule_snprintf(buf, sizeof buf, r, NFTNL_OUTPUT_DEFAULT, 0);
  nftnl_rule_free(r);
  return buf;
}

TEST(NetlinkNft, BatchOfTableChainRule) {
  Bytes m = build_source_port_batch(rule_v6());
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_EQ(msgs[0]->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(msgs[1]->nlmsg_type, nft_type(NFT_MSG_NEWTABLE));
  EXPECT_EQ(msgs[2]->nlmsg_type, nft_type(NFT_MSG_NEWCHAIN));
  EXPECT_EQ(msgs[3]->nlmsg_type, nft_type(NFT_MSG_NEWRULE));
  EXPECT_EQ(msgs[4]->nlmsg_type, NFNL_MSG_BATCH_END);
  for (int i = 1; i <= 3; ++i) EXPECT_TRUE(msgs[i]->nlmsg_flags & NLM_F_ACK);

  nftnl_table* t = nftnl_table_alloc();
  ASSERT_GE(nftnl_table_nlmsg_parse(msgs[1], t), 0);
  EXPECT_STREQ(nftnl_table_get_str(t, NFTNL_TABLE_NAME), "geneve_nat64_gnv0");
  EXPECT_EQ(nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS), static_cast<std::uint32_t>(NFT_TABLE_F_OWNER));
  std::uint32_t len = 0;
  const auto* ud = static_cast<const std::uint8_t*>(nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len));
  ASSERT_NE(ud, nullptr);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ud + 2)), "geneve-nat64 pid=1 start=2");
  nftnl_table_free(t);

  nftnl_chain* c = nftnl_chain_alloc();
  ASSERT_GE(nftnl_chain_nlmsg_parse(msgs[2], c), 0);
  EXPECT_EQ(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), static_cast<std::uint32_t>(NF_INET_LOCAL_OUT));
  EXPECT_EQ(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), -300);
  EXPECT_STREQ(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), "filter");
  nftnl_chain_free(c);
}

TEST(NetlinkNft, RuleBytecodeIpv6) {
  Bytes m = build_source_port_batch(rule_v6());  // msgs point into it
  auto msgs = messages(m);
  std::string text = rule_text(msgs[3]);
  // nft --debug=netlink for: meta nfproto ipv6 ip6 daddr 2001:db8::2
  //   udp dport 6081 @th,96,24 42 udp checksum != 0 notrack udp sport set 6081
  const char* expected[] = {
      "[ meta load nfproto => reg 1 ]",
      "[ cmp eq reg 1 0x0000000a ]",
      "[ payload load 16b @ network header + 24 => reg 1 ]",
      "[ cmp eq reg 1 0xb80d0120 0x00000000 0x00000000 0x02000000 ]",
      "[ meta load l4proto => reg 1 ]",
      "[ cmp eq reg 1 0x00000011 ]",
      "[ payload load 2b @ transport header + 2 => reg 1 ]",
      "[ cmp eq reg 1 0x0000c117 ]",
      "[ payload load 3b @ transport header + 12 => reg 1 ]",
      "[ cmp eq reg 1 0x002a0000 ]",
      "[ payload load 2b @ transport header + 6 => reg 1 ]",
      "[ cmp neq reg 1 0x00000000 ]",
      "[ notrack ]",
      "[ immediate reg 1 0x0000c117 ]",
      "[ payload write reg 1 => 2b @ transport header + 0 csum_type 1 csum_off 6 csum_flags 0x0 ]",
  };
  std::size_t at = 0;
  for (const char* e : expected) {
    auto found = text.find(e, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << e << "\nin:\n" << text;
    at = found + std::strlen(e);
  }
}

TEST(NetlinkNft, RuleBytecodeIpv4MatchesDaddrAt16) {
  SourcePortRule r = rule_v6();
  r.peer = *net::IpAddress::parse("192.0.2.2");
  r.source_port = 4789;
  Bytes m = build_source_port_batch(r);
  std::string text = rule_text(messages(m)[3]);
  EXPECT_NE(text.find("[ cmp eq reg 1 0x00000002 ]"), std::string::npos) << text;
  EXPECT_NE(text.find("[ payload load 4b @ network header + 16 => reg 1 ]"), std::string::npos) << text;
  EXPECT_NE(text.find("[ cmp eq reg 1 0x020200c0 ]"), std::string::npos) << text;
  EXPECT_NE(text.find("[ immediate reg 1 0x0000b512 ]"), std::string::npos) << text;
}

TEST(NetlinkNft, DeleteBatch) {
  Bytes m = build_delete_table_batch("geneve_nat64_gnv0");
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[1]->nlmsg_type, nft_type(NFT_MSG_DELTABLE));
}

TEST(NetlinkNft, ControlCaptureOneRulePerOptionsLength) {
  ControlCaptureRule r{"geneve_nat64_ctl_gns0", "geneve-nat64 pid=1 start=2", 6081, {7, {0, 6}, 500}};
  Bytes m = build_control_capture_batch(r);
  auto msgs = messages(m);
  ASSERT_EQ(msgs.size(), 6u);  // begin, table, chain, two rules, end
  nftnl_chain* c = nftnl_chain_alloc();
  ASSERT_GE(nftnl_chain_nlmsg_parse(msgs[2], c), 0);
  EXPECT_EQ(nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM), static_cast<std::uint32_t>(NF_INET_LOCAL_IN));
  EXPECT_EQ(nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO), 10);  // after the host's filter at 0
  nftnl_chain_free(c);
  // nft --debug=netlink for: udp dport 6081 @th,64,8 6 @th,80,16 0x6558
  //   @th,384,16 0x88b5 limit rate 500/second log group 7
  std::string text = rule_text(msgs[4]);
  const char* expected[] = {
      "[ payload load 2b @ transport header + 2 => reg 1 ]",      "[ cmp eq reg 1 0x0000c117 ]",
      "[ payload load 1b @ transport header + 8 => reg 1 ]",      "[ cmp eq reg 1 0x00000006 ]",
      "[ payload load 2b @ transport header + 10 => reg 1 ]",     "[ cmp eq reg 1 0x00005865 ]",
      "[ payload load 2b @ transport header + 52 => reg 1 ]",     "[ cmp eq reg 1 0x0000b588 ]",
      "[ limit rate 500/second burst 5 type packets flags 0x0 ]", "[ log group 7 snaplen 0 qthreshold 0 ]",
  };
  std::size_t at = 0;
  for (const char* e : expected) {
    auto found = text.find(e, at);
    ASSERT_NE(found, std::string::npos) << "missing or out of order: " << e << "\nin:\n" << text;
    at = found + std::strlen(e);
  }
  EXPECT_NE(rule_text(msgs[3]).find("[ payload load 2b @ transport header + 28 => reg 1 ]"), std::string::npos);
}

}  // namespace
}  // namespace gn::netlink
