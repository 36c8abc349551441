#pragma once
// Link configuration over rtnetlink (MnlSocket): MTU, up and addresses of an
// interface we created (TAP, TUN, GENEVE). Building a message is a pure
// function returning its bytes (tests/unit/netlink_link_test.cpp); sending
// is separate. Every failure names the interface and the operation.
#include <cstdint>
#include <optional>
#include <string>

#include "net/address.hpp"
#include "netlink/mnl.hpp"

namespace gn::netlink {

// RTM_NEWLINK (change, no create) on `ifindex`: IFF_UP, and IFLA_MTU if
// given.
Message build_set_link_mtu_up(int ifindex, std::optional<std::uint32_t> mtu);

// RTM_NEWADDR with NLM_F_CREATE | NLM_F_EXCL: IFA_LOCAL and IFA_ADDRESS both
// `address` (no peer), prefix length `address.length`. IPv6 addresses get
// IFA_F_NODAD: the tunnel's far side is configured by the same operator,
// and duplicate address detection would hold the address back for a second
// or more.
Message build_add_address(int ifindex, const net::InterfaceAddress& address);

// RTM_NEWLINK on `ifindex`: IPv6 address generation mode "none", so the
// kernel gives the interface no link-local address and sends nothing of
// its own (router solicitations, MLD) into it. Before the link is up.
Message build_set_addr_gen_none(int ifindex);
void set_addr_gen_none(MnlSocket& sock, int ifindex, const std::string& ifname);

// Sets the MTU (if given) and brings the interface up.
void set_link_mtu_up(MnlSocket& sock, int ifindex, const std::string& ifname, std::optional<std::uint32_t> mtu);

// Adds "address/length" (net::InterfaceAddress::parse; UsageError if it is
// not one) to the interface.
void add_address(MnlSocket& sock, int ifindex, const std::string& ifname, const std::string& cidr);

}  // namespace gn::netlink
