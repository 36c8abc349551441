#include "dataplane/udp.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "util/error.hpp"

namespace gn::dataplane {
namespace {

Fd open_udp(net::Family family, const std::string& what) {
  int domain = family == net::Family::kV4 ? AF_INET : AF_INET6;
  // Non-blocking: a full send buffer must never stall the event loop (the
  // data plane waits for EPOLLOUT instead).
  Fd fd(::socket(domain, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP));
  if (!fd) throw_errno("creating UDP socket for " + what);
  return fd;
}

void set_int(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) < 0) throw_errno(std::string("setting ") + what);
}

int get_int(int fd, int level, int name, const char* what) {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) < 0) throw_errno(std::string("reading ") + what);
  return value;
}

// Room for bursts (the kernel reports twice what it keeps for its own
// bookkeeping). The FORCE variants pass net.core.*mem_max for a process with
// CAP_NET_ADMIN; without it the plain options are clamped there.
void size_buffer(int fd, int force, int plain, const char* name, int bytes, int& got, std::string& reason) {
  if (::setsockopt(fd, SOL_SOCKET, force, &bytes, sizeof bytes) < 0) set_int(fd, SOL_SOCKET, plain, bytes, name);
  got = get_int(fd, SOL_SOCKET, plain, name);
  if (got < bytes) {
    if (!reason.empty()) reason += "; ";
    reason += std::string(name) + " clamped to " + std::to_string(got) + " bytes (asked " + std::to_string(bytes) +
              "; raise net.core." + (plain == SO_SNDBUF ? "wmem_max" : "rmem_max") + ")";
  }
}

}  // namespace

UdpSocket UdpSocket::bind(const net::Endpoint& local, bool offloads, int receive_buffer) {
  Fd fd = open_udp(local.address.family(), local.to_string());
  UdpOffloads o;
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
  size_buffer(fd.get(), SO_RCVBUFFORCE, SO_RCVBUF, "SO_RCVBUF", std::max(receive_buffer, kDefaultBuffer), o.rcvbuf,
              o.reason);
  size_buffer(fd.get(), SO_SNDBUFFORCE, SO_SNDBUF, "SO_SNDBUF", kDefaultBuffer, o.sndbuf, o.reason);
  if (offloads) {
    // UDP_SEGMENT (Linux 4.18) is asked for per send; setting it to 0 here
    // only tells whether the kernel knows it.
    int zero = 0, one = 1;
    auto note = [&o](const char* what) {
      o.reason += std::string(o.reason.empty() ? "" : "; ") + "no " + what + ": " + std::strerror(errno);
    };
    o.gso = ::setsockopt(fd.get(), SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
    if (!o.gso) note("UDP_SEGMENT");
    o.gro = ::setsockopt(fd.get(), SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
    if (!o.gro) note("UDP_GRO");
  }
  sockaddr_storage ss;
  socklen_t len = local.to_sockaddr(ss);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) < 0)
    throw_errno("binding UDP socket to " + local.to_string());
  return UdpSocket(std::move(fd), local, std::move(o));
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
