#include "dataplane/udp.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "util/error.hpp"

namespace gn::dataplane {
namespace {

Fd open_udp(net::Family family, const std::string& what) {
  int domain = family == net::Family::kV4 ? AF_INET : AF_INET6;
  Fd fd(::socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd) throw_errno("creating UDP socket for " + what);
  return fd;
}

void set_int(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) throw_errno(std::string("setting ") + what);
}

}  // namespace

UdpSocket UdpSocket::bind(const net::Endpoint& local) {
  Fd fd = open_udp(local.address.family(), local.to_string());
  if (local.address.is_v6()) {
    set_int(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
    // Never fragment locally; learn the path MTU instead (sends that do not
    // fit fail with EMSGSIZE and are counted).
    set_int(fd.get(), IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO, "IPV6_MTU_DISCOVER");
    set_int(fd.get(), IPPROTO_IPV6, IPV6_DONTFRAG, 1, "IPV6_DONTFRAG");
  } else {
    // Sets DF on every packet.
    set_int(fd.get(), IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO, "IP_MTU_DISCOVER");
  }
  // Room for bursts: a batch of full-size frames in each direction.
  set_int(fd.get(), SOL_SOCKET, SO_RCVBUF, 4 << 20, "SO_RCVBUF");
  set_int(fd.get(), SOL_SOCKET, SO_SNDBUF, 4 << 20, "SO_SNDBUF");
  sockaddr_storage ss;
  socklen_t len = local.to_sockaddr(ss);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0)
    throw_errno("binding UDP socket to " + local.to_string());
  return UdpSocket(std::move(fd), local);
}

std::uint32_t route_mtu(const net::Endpoint& local, const net::Endpoint& destination) {
  Fd fd = open_udp(destination.address.family(), destination.to_string());
  sockaddr_storage ss;
  if (local.address.family() == destination.address.family()) {
    net::Endpoint any_port{local.address, 0};
    socklen_t len = any_port.to_sockaddr(ss);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
      if (errno == EADDRNOTAVAIL)
        throw UsageError("LOCAL " + local.address.to_string() + " is not an address of this host");
      throw_errno("binding to " + local.address.to_string());
    }
  }
  socklen_t len = destination.to_sockaddr(ss);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    if (errno == ENETUNREACH || errno == EHOSTUNREACH)
      throw UsageError("no route to PATH " + destination.address.to_string());
    throw_errno("finding a route to " + destination.to_string());
  }
  int mtu = 0;
  socklen_t mtu_len = sizeof mtu;
  bool v6 = destination.address.is_v6();
  if (::getsockopt(fd.get(), v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &mtu_len) < 0)
    throw_errno("reading the route MTU to " + destination.to_string());
  return static_cast<std::uint32_t>(mtu);
}

std::uint32_t interface_mtu_of(const net::IpAddress& local) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) < 0) throw_errno("listing interface addresses");
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> guard(list, ::freeifaddrs);
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    auto ep = net::Endpoint::from_sockaddr(i->ifa_addr, sizeof(sockaddr_storage));
    if (!ep || ep->address != local) continue;
    Fd fd = open_udp(net::Family::kV4, "an MTU query");
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, i->ifa_name, IFNAMSIZ - 1);
    if (::ioctl(fd.get(), SIOCGIFMTU, &ifr) < 0) throw_errno(std::string("reading the MTU of ") + i->ifa_name);
    return static_cast<std::uint32_t>(ifr.ifr_mtu);
  }
  throw UsageError("LOCAL " + local.to_string() + " is not an address of this host");
}

}  // namespace gn::dataplane
