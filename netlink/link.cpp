#include "netlink/link.hpp"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/addr.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "util/error.hpp"

namespace gn::netlink {
namespace {

[[noreturn]] void fail(const std::string& what, int nl_err) {
  throw std::runtime_error(what + ": " + nl_geterror(nl_err));
}

template <typename T, void (*Free)(T*)>
struct NlDeleter {
  void operator()(T* p) const { Free(p); }
};
using LinkPtr = std::unique_ptr<rtnl_link, NlDeleter<rtnl_link, rtnl_link_put>>;
using AddrPtr = std::unique_ptr<rtnl_addr, NlDeleter<rtnl_addr, rtnl_addr_put>>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlDeleter<nl_addr, nl_addr_put>>;

}  // namespace

void RouteSocket::Free::operator()(nl_sock* s) const {
  nl_socket_free(s);
}

RouteSocket::RouteSocket() : sock_(nl_socket_alloc()) {
  if (!sock_) throw std::runtime_error("allocating a netlink socket failed");
  if (int err = nl_connect(sock_.get(), NETLINK_ROUTE); err < 0) fail("connecting to rtnetlink", err);
}

void set_link_mtu_up(RouteSocket& sock, int ifindex, const std::string& ifname, std::optional<std::uint32_t> mtu) {
  rtnl_link* raw = nullptr;
  if (int err = rtnl_link_get_kernel(sock.get(), ifindex, nullptr, &raw); err < 0)
    fail("looking up interface " + ifname, err);
  LinkPtr link(raw);
  LinkPtr change(rtnl_link_alloc());
  if (!change) throw std::runtime_error("allocating a link change for " + ifname + " failed");
  if (mtu) rtnl_link_set_mtu(change.get(), *mtu);
  rtnl_link_set_flags(change.get(), IFF_UP);
  if (int err = rtnl_link_change(sock.get(), link.get(), change.get(), 0); err < 0)
    fail("setting " + (mtu ? "mtu " + std::to_string(*mtu) + " and " : std::string()) + "up on " + ifname, err);
}

void add_address(RouteSocket& sock, int ifindex, const std::string& ifname, const std::string& cidr) {
  nl_addr* raw = nullptr;
  if (int err = nl_addr_parse(cidr.c_str(), AF_UNSPEC, &raw); err < 0) fail("parsing address " + cidr, err);
  NlAddrPtr local(raw);
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) throw std::runtime_error("allocating an address for " + ifname + " failed");
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  if (int err = rtnl_addr_set_local(addr.get(), local.get()); err < 0) fail("setting address " + cidr, err);
  if (nl_addr_get_family(local.get()) == AF_INET6) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  if (int err = rtnl_addr_add(sock.get(), addr.get(), 0); err < 0)
    fail("adding address " + cidr + " to " + ifname, err);
}

}  // namespace gn::netlink
