// Link and address messages (netlink/link.hpp) byte for byte against
// linux/rtnetlink.h, if_link.h and if_addr.h: what `ip link set up mtu`
// and `ip address add` send.
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>

#include "netlink/link.hpp"
#include "netlink_test_util.hpp"

namespace gn::netlink {
namespace {

using namespace testing;

// Netlink is host byte order: the expected bytes are built from values.
struct Expected {
  Bytes b;
  template <typename T>
  Expected& put(T v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof v);
    return *this;
  }
  Expected& bytes(std::initializer_list<std::uint8_t> v) {
    b.insert(b.end(), v);
    return *this;
  }
  Expected& header(std::uint32_t len, std::uint16_t type, std::uint16_t flags) {
    return put(len).put(type).put(flags).put(std::uint32_t{0}).put(std::uint32_t{0});  // seq, pid: set on send
  }
  // ifinfomsg: family, pad, type, index, flags, change (IFF_UP only)
  Expected& ifinfo_up(std::int32_t index) {
    return bytes({AF_UNSPEC, 0}).put(std::uint16_t{0}).put(index).put(std::uint32_t{IFF_UP}).put(std::uint32_t{IFF_UP});
  }
  Expected& attr(std::uint16_t type, std::initializer_list<std::uint8_t> payload) {
    put(static_cast<std::uint16_t>(NLA_HDRLEN + payload.size())).put(type);
    return bytes(payload);
  }
};

net::InterfaceAddress A(const char* text) {
  return net::InterfaceAddress::parse(text);
}

TEST(NetlinkLink, UpWithMtu) {
  Bytes m = build_set_link_mtu_up(7, 1400);
  Expected e;
  e.header(40, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  e.ifinfo_up(7);
  e.put(std::uint16_t{8}).put(std::uint16_t{IFLA_MTU}).put(std::uint32_t{1400});
  EXPECT_EQ(m, e.b);
}

TEST(NetlinkLink, UpWithoutMtuChangesNothingElse) {
  Bytes m = build_set_link_mtu_up(3, std::nullopt);
  Expected e;
  e.header(32, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  e.ifinfo_up(3);
  EXPECT_EQ(m, e.b);
}

TEST(NetlinkLink, AddIpv6AddressSkipsDad) {
  Bytes m = build_add_address(3, A("fd00::5/64"));
  const std::initializer_list<std::uint8_t> addr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5};
  Expected e;
  e.header(64, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  // ifaddrmsg: family, prefix length, flags, scope, index
  e.bytes({AF_INET6, 64, IFA_F_NODAD, RT_SCOPE_UNIVERSE}).put(std::uint32_t{3});
  e.attr(IFA_LOCAL, addr).attr(IFA_ADDRESS, addr);
  EXPECT_EQ(m, e.b);
}

TEST(NetlinkLink, AddIpv4AddressKeepsHostBits) {
  Bytes m = build_add_address(9, A("192.0.2.1/24"));
  Expected e;
  e.header(40, RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  e.bytes({AF_INET, 24, 0, RT_SCOPE_UNIVERSE}).put(std::uint32_t{9});
  e.attr(IFA_LOCAL, {192, 0, 2, 1}).attr(IFA_ADDRESS, {192, 0, 2, 1});
  EXPECT_EQ(m, e.b);
}

TEST(NetlinkLink, BadAddressTextIsRefusedBeforeAnythingIsSent) {
  MnlSocket sock(NETLINK_ROUTE);
  EXPECT_THROW(add_address(sock, 1, "gnx0", "fd00::1"), UsageError);
  EXPECT_THROW(add_address(sock, 1, "gnx0", "not-an-address/24"), UsageError);
}

}  // namespace
}  // namespace gn::netlink
