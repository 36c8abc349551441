#include "netlink/link.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <fmt/format.h>

namespace gn::netlink {

Message build_set_link_mtu_up(int ifindex, std::optional<std::uint32_t> mtu) {
  MessageBuffer b;
  nlmsghdr* nlh = b.put_header(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;  // only this flag changes
  if (mtu) mnl_attr_put_u32(nlh, IFLA_MTU, *mtu);
  return b.bytes();
}

Message build_add_address(int ifindex, const net::InterfaceAddress& address) {
  MessageBuffer b;
  nlmsghdr* nlh = b.put_header(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  const net::IpAddress& a = address.address;
  ifa->ifa_family = a.is_v4() ? AF_INET : AF_INET6;
  ifa->ifa_prefixlen = static_cast<std::uint8_t>(address.length);
  ifa->ifa_flags = a.is_v6() ? IFA_F_NODAD : 0;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<std::uint32_t>(ifindex);
  std::size_t len = a.is_v4() ? 4 : 16;
  // IFA_ADDRESS is the peer on point-to-point links; the same as IFA_LOCAL
  // means "no peer", as `ip address add` sends it.
  mnl_attr_put(nlh, IFA_LOCAL, len, a.bytes().data());
  mnl_attr_put(nlh, IFA_ADDRESS, len, a.bytes().data());
  return b.bytes();
}

Message build_set_addr_gen_none(int ifindex) {
  MessageBuffer b;
  nlmsghdr* nlh = b.put_header(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  nlattr* spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  nlattr* inet6 = mnl_attr_nest_start(nlh, AF_INET6);
  mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
  mnl_attr_nest_end(nlh, inet6);
  mnl_attr_nest_end(nlh, spec);
  return b.bytes();
}

void set_addr_gen_none(MnlSocket& sock, int ifindex, const std::string& ifname) {
  sock.request(build_set_addr_gen_none(ifindex), "turning IPv6 address generation off on " + ifname);
}

void set_link_mtu_up(MnlSocket& sock, int ifindex, const std::string& ifname, std::optional<std::uint32_t> mtu) {
  sock.request(build_set_link_mtu_up(ifindex, mtu),
               fmt::format("setting {}up on {}", mtu ? fmt::format("mtu {} and ", *mtu) : std::string(), ifname));
}

void add_address(MnlSocket& sock, int ifindex, const std::string& ifname, const std::string& cidr) {
  net::InterfaceAddress address = net::InterfaceAddress::parse(cidr);
  sock.request(build_add_address(ifindex, address), fmt::format("adding address {} to {}", cidr, ifname));
}

}  // namespace gn::netlink
