// Route and rule messages (netlink/route.hpp) read back against
// linux/rtnetlink.h and fib_rules.h: what `ip -6 route add default dev D
// table T` and `ip -6 rule add from A lookup T priority P` send. Also the
// address-generation switch of netlink/link.hpp.
#include <gtest/gtest.h>
#include <linux/fib_rules.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "netlink/link.hpp"
#include "netlink/route.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;

TEST(NetlinkRoute, DefaultRouteInATable) {
  const Bytes m = build_default_route(7, 6081);
  const nlmsghdr* nlh = header(m);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWROUTE);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  const auto* rt = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(rt->rtm_family, AF_INET6);
  EXPECT_EQ(rt->rtm_dst_len, 0);
  EXPECT_EQ(rt->rtm_type, RTN_UNICAST);
  EXPECT_EQ(rt->rtm_scope, RT_SCOPE_UNIVERSE);
  ASSERT_NE(path(nlh, sizeof(rtmsg), {RTA_TABLE}), nullptr);
  EXPECT_EQ(mnl_attr_get_u32(path(nlh, sizeof(rtmsg), {RTA_TABLE})), 6081u);
  EXPECT_EQ(mnl_attr_get_u32(path(nlh, sizeof(rtmsg), {RTA_OIF})), 7u);
}

TEST(NetlinkRoute, RuleFromOneAddressAndFromAll) {
  Ipv6Bytes a{0x20, 0x01, 0x0d, 0xb8, 0, 0x64, 0, 1, 0, 0, 0, 0, 0xcb, 0, 0x71, 0x0a};
  const Bytes add = build_rule(true, a, 6081, 100);
  const nlmsghdr* nlh = header(add);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWRULE);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  const auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(frh->family, AF_INET6);
  EXPECT_EQ(frh->src_len, 128);
  EXPECT_EQ(frh->action, FR_ACT_TO_TBL);
  ASSERT_NE(path(nlh, sizeof(fib_rule_hdr), {FRA_SRC}), nullptr);
  EXPECT_EQ(payload(path(nlh, sizeof(fib_rule_hdr), {FRA_SRC})), Bytes(a.begin(), a.end()));
  EXPECT_EQ(mnl_attr_get_u32(path(nlh, sizeof(fib_rule_hdr), {FRA_TABLE})), 6081u);
  EXPECT_EQ(mnl_attr_get_u32(path(nlh, sizeof(fib_rule_hdr), {FRA_PRIORITY})), 100u);

  const Bytes del = build_rule(false, std::nullopt, 6081, 32800);
  nlh = header(del);
  EXPECT_EQ(nlh->nlmsg_type, RTM_DELRULE);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(frh->src_len, 0);
  EXPECT_EQ(path(nlh, sizeof(fib_rule_hdr), {FRA_SRC}), nullptr);
  EXPECT_EQ(mnl_attr_get_u32(path(nlh, sizeof(fib_rule_hdr), {FRA_PRIORITY})), 32800u);
}

TEST(NetlinkLink, AddressGenerationNone) {
  const Bytes m = build_set_addr_gen_none(9);
  const nlmsghdr* nlh = header(m);
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWLINK);
  const nlattr* mode = path(nlh, sizeof(ifinfomsg), {IFLA_AF_SPEC, AF_INET6, IFLA_INET6_ADDR_GEN_MODE});
  ASSERT_NE(mode, nullptr);
  EXPECT_EQ(mnl_attr_get_u8(mode), IN6_ADDR_GEN_MODE_NONE);
}

}  // namespace
}  // namespace gn::netlink
