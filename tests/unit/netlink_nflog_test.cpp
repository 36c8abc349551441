// The NFLOG config messages against linux/netfilter/nfnetlink_log.h.
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <cstring>

#include "netlink/nflog.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;

const nlmsghdr* header(const Bytes& m) {
  return reinterpret_cast<const nlmsghdr*>(m.data());
}

void expect_config(const Bytes& m, std::uint16_t group) {
  const nlmsghdr* nlh = header(m);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG);
  EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_ACK);
  const auto* g = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(g->nfgen_family, AF_UNSPEC);
  EXPECT_EQ(ntohs(g->res_id), group);
}

TEST(NetlinkNflog, BindNamesTheGroup) {
  Bytes m = build_nflog_bind(7);
  expect_config(m, 7);
  const nlattr* cmd = path(header(m), sizeof(nfgenmsg), {NFULA_CFG_CMD});
  ASSERT_NE(cmd, nullptr);
  EXPECT_EQ(payload(cmd), Bytes{NFULNL_CFG_CMD_BIND});
}

TEST(NetlinkNflog, CopyWholePacketsAtOnce) {
  Bytes m = build_nflog_copy_packet(7, 0xffff);
  expect_config(m, 7);
  const nlattr* mode = path(header(m), sizeof(nfgenmsg), {NFULA_CFG_MODE});
  ASSERT_NE(mode, nullptr);
  ASSERT_EQ(mnl_attr_get_payload_len(mode), sizeof(nfulnl_msg_config_mode));
  nfulnl_msg_config_mode cm;
  std::memcpy(&cm, mnl_attr_get_payload(mode), sizeof cm);
  EXPECT_EQ(ntohl(cm.copy_range), 0xffffu);
  EXPECT_EQ(cm.copy_mode, NFULNL_COPY_PACKET);
  const nlattr* qthresh = path(header(m), sizeof(nfgenmsg), {NFULA_CFG_QTHRESH});
  ASSERT_NE(qthresh, nullptr);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(qthresh)), 1u);  // no batching: replies must not wait
  const nlattr* timeout = path(header(m), sizeof(nfgenmsg), {NFULA_CFG_TIMEOUT});
  ASSERT_NE(timeout, nullptr);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(timeout)), 0u);
}

}  // namespace
}  // namespace gn::netlink
