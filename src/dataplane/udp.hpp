#pragma once
// The underlay UDP socket: bound to a fixed local address and port, with
// path-MTU discovery forced on (DF set, never fragmented locally) and UDP
// checksums computed by the kernel (Linux never sends checksum 0 from a UDP
// socket unless told to, and we never tell it to: TAYGA and many NATs drop
// zero checksums).
#include <cstdint>

#include "net/address.hpp"
#include "util/fd.hpp"

namespace gn::dataplane {

class UdpSocket {
 public:
  // Binds to `local`. An IPv6 socket is IPv6-only so it never shadows an
  // IPv4 socket on the same port.
  static UdpSocket bind(const net::Endpoint& local);

  int fd() const { return fd_.get(); }
  const net::Endpoint& local() const { return local_; }

 private:
  UdpSocket(Fd fd, net::Endpoint local) : fd_(std::move(fd)), local_(local) {}
  Fd fd_;
  net::Endpoint local_;
};

// The MTU of the route from `local` to `destination` (as a connected UDP
// socket sees it). Throws if there is no route.
std::uint32_t route_mtu(const net::Endpoint& local, const net::Endpoint& destination);

// The MTU of the interface that has `local` (a server does not know where
// its clients are before they call). Throws UsageError if no interface has it.
std::uint32_t interface_mtu_of(const net::IpAddress& local);

}  // namespace gn::dataplane
