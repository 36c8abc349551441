#pragma once
// Link configuration over rtnetlink (libnl-route-3): MTU, up/down and
// addresses of an interface we created. Every failure names the interface
// and the operation.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

struct nl_sock;

namespace gn::netlink {

// An rtnetlink socket, connected on construction, freed on destruction.
class RouteSocket {
 public:
  RouteSocket();
  nl_sock* get() const { return sock_.get(); }

 private:
  struct Free {
    void operator()(nl_sock* s) const;
  };
  std::unique_ptr<nl_sock, Free> sock_;
};

// Sets the MTU (if given) and brings the interface up.
void set_link_mtu_up(RouteSocket& sock, int ifindex, const std::string& ifname, std::optional<std::uint32_t> mtu);

// Adds "address/length" to the interface. IPv6 addresses skip duplicate
// address detection: the tunnel's far side is configured by the same
// operator, and DAD would hold the address back for a second or more.
void add_address(RouteSocket& sock, int ifindex, const std::string& ifname, const std::string& cidr);

}  // namespace gn::netlink
