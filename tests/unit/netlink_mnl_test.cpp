// MnlSocket and the attribute iteration (netlink/mnl.hpp): libmnl's
// mnl_attr_parse* behind the callbacks, malformed attributes never handed
// out, exceptions carried past libmnl; and answers read through
// mnl_cb_run2 from the running kernel with requests that need no
// privileges (a link lookup, a dump, a request the kernel's policy refuses).
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <stdexcept>
#include <string>

#include "netlink/geneve.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;

// Two u32 attributes, types 1 and 2, then a third claiming more bytes than
// are left.
Bytes two_good_one_bad() {
  Bytes b(64, 0);
  auto* nlh = mnl_nlmsg_put_header(b.data());
  mnl_attr_put_u32(nlh, 1, 11);
  mnl_attr_put_u32(nlh, 2, 22);
  auto* bad = static_cast<nlattr*>(mnl_nlmsg_get_payload_tail(nlh));
  bad->nla_type = 3;
  bad->nla_len = 40;
  nlh->nlmsg_len += 8;  // the message ends 4 bytes into its payload
  b.resize(nlh->nlmsg_len);
  return b;
}

TEST(NetlinkAttributes, MalformedAttributeIsNeverHandedOut) {
  Bytes b = two_good_one_bad();
  std::vector<std::uint16_t> seen;
  parse_attributes(header(b), 0, [&](const nlattr* a) { seen.push_back(mnl_attr_get_type(a)); });
  EXPECT_EQ(seen, (std::vector<std::uint16_t>{1, 2}));
  seen.clear();
  parse_payload(mnl_nlmsg_get_payload(header(b)), mnl_nlmsg_get_payload_len(header(b)),
                [&](const nlattr* a) { seen.push_back(mnl_attr_get_type(a)); });
  EXPECT_EQ(seen, (std::vector<std::uint16_t>{1, 2}));
}

TEST(NetlinkAttributes, ExceptionStopsTheIterationAndReachesTheCaller) {
  Bytes b = two_good_one_bad();
  int calls = 0;
  EXPECT_THROW(parse_attributes(header(b), 0,
                                [&](const nlattr*) {
                                  ++calls;
                                  throw std::runtime_error("stop");
                                }),
               std::runtime_error);
  EXPECT_EQ(calls, 1);
}

TEST(NetlinkAttributes, HeaderLongerThanTheMessageGivesNothing) {
  Bytes b = two_good_one_bad();
  int calls = 0;
  parse_attributes(header(b), 4096, [&](const nlattr*) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(NetlinkAttributes, NestedAttributes) {
  Bytes b(128, 0);
  auto* nlh = mnl_nlmsg_put_header(b.data());
  nlattr* nest = mnl_attr_nest_start(nlh, 7);
  mnl_attr_put_u8(nlh, 1, 5);
  mnl_attr_put_strz(nlh, 2, "x");
  mnl_attr_nest_end(nlh, nest);
  EXPECT_EQ(types_in(nest), (std::vector<std::uint16_t>{1, 2}));
}

TEST(NetlinkSocket, GetOfAMissingLinkIsNothing) {
  MnlSocket sock(NETLINK_ROUTE);
  EXPECT_FALSE(get_link(sock, "gnnosuch0"));
  // The socket still serves the next request: nothing was left behind.
  auto lo = get_link(sock, "lo");
  ASSERT_TRUE(lo);
  EXPECT_EQ(lo->ifindex, static_cast<int>(if_nametoindex("lo")));
}

TEST(NetlinkSocket, DumpReadsUntilDone) {
  MnlSocket sock(NETLINK_ROUTE);
  auto links = list_links(sock);
  bool lo = false;
  for (const auto& l : links) lo = lo || l.ifname == "lo";
  EXPECT_TRUE(lo);
  // Twice: the dump's NLMSG_DONE was read, not left for the next one.
  EXPECT_EQ(list_links(sock).size(), links.size());
}

TEST(NetlinkSocket, KernelRefusalCarriesExtackAndAttribute) {
  MnlSocket sock(NETLINK_ROUTE);
  // IFLA_IFNAME longer than IFNAMSIZ - 1 fails ifla_policy.
  std::string name(40, 'x');
  try {
    sock.get(build_get_link(name), "querying interface " + name, [](const nlmsghdr*) {});
    FAIL() << "the kernel took an interface name of 40 characters";
  } catch (const NetlinkError& e) {
    EXPECT_NE(e.code(), 0);
    EXPECT_NE(std::string(e.what()).find("querying interface xxx"), std::string::npos) << e.what();
    if (!sock.extended_acks()) GTEST_SKIP() << "no NETLINK_EXT_ACK on this kernel";
    EXPECT_FALSE(e.extack().empty()) << e.what();
    ASSERT_TRUE(e.attribute()) << e.what();
    EXPECT_EQ(*e.attribute(), IFLA_IFNAME);
  }
}

}  // namespace
}  // namespace gn::netlink
