#pragma once
// The underlay UDP socket: bound to a fixed local address and port, with
// path-MTU discovery forced on (DF set, never fragmented locally) and UDP
// checksums computed by the kernel (Linux never sends checksum 0 from a UDP
// socket unless told to, and we never tell it to: TAYGA and many NATs drop
// zero checksums).
#include <cstdint>
#include <string>

#include "net/address.hpp"
#include "util/fd.hpp"

namespace gn::dataplane {

// What the socket was given, read back from the kernel after asking.
struct UdpOffloads {
  bool gso = false;            // UDP_SEGMENT: one send carries many equal-sized datagrams
  bool gro = false;            // UDP_GRO: one receive may return many, with their size
  int sndbuf = 0, rcvbuf = 0;  // bytes, as the kernel reports them
  std::string reason;          // why something is off or smaller than asked
};

class UdpSocket {
 public:
  // Binds to `local`, non-blocking. An IPv6 socket is IPv6-only so it never
  // shadows an IPv4 socket on the same port. With `offloads`, UDP_SEGMENT and
  // UDP_GRO are probed and turned on where the kernel has them. Both buffers
  // are asked for kDefaultBuffer bytes, the receive buffer for
  // `receive_buffer` if that is more (a server of many clients).
  static constexpr int kDefaultBuffer = 4 << 20;
  static UdpSocket bind(const net::Endpoint& local, bool offloads = false, int receive_buffer = kDefaultBuffer);

  int fd() const { return fd_.get(); }
  const net::Endpoint& local() const { return local_; }
  // As granted at bind (the data plane keeps what the kernel refuses later).
  const UdpOffloads& offloads() const { return offloads_; }

 private:
  UdpSocket(Fd fd, net::Endpoint local, UdpOffloads o) : fd_(std::move(fd)), local_(local), offloads_(std::move(o)) {}
  Fd fd_;
  net::Endpoint local_;
  UdpOffloads offloads_;
};

// The MTU of the route from `local` to `destination` (as a connected UDP
// socket sees it). Throws if there is no route.
std::uint32_t route_mtu(const net::Endpoint& local, const net::Endpoint& destination);

// The MTU of the interface that has `local` (a server does not know where
// its clients are before they call). Throws UsageError if no interface has it.
std::uint32_t interface_mtu_of(const net::IpAddress& local);

}  // namespace gn::dataplane
