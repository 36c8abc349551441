#include "dataplane/raw_sender.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <array>
#include <cerrno>

#include "dataplane/outer_packet.hpp"
#include "util/error.hpp"

namespace gn::dataplane {

Fd& RawSender::socket_for(net::Family f) {
  Fd& s = f == net::Family::kV4 ? v4_ : v6_;
  if (s) return s;
  // IPPROTO_RAW implies a header-included socket for both families
  // (IP_HDRINCL; IPV6_HDRINCL since Linux 4.5) and matches no received
  // packet, so nothing is ever queued on it.
  const int domain = f == net::Family::kV4 ? AF_INET : AF_INET6;
  s = Fd(::socket(domain, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW));
  if (!s) throw_errno(std::string("opening a raw ") + (f == net::Family::kV4 ? "IPv4" : "IPv6") + " socket");
  return s;
}

bool RawSender::send(const net::Endpoint& from, const net::Endpoint& to, std::span<const std::uint8_t> header,
                     std::span<const std::uint8_t> frame, std::uint8_t ttl) {
  if (from.address.family() != to.address.family())
    throw std::invalid_argument("raw send from " + from.to_string() + " to " + to.to_string() + ": two families");
  std::array<std::uint8_t, outer::kMaxHeadersLen> headers;
  const std::size_t n = outer::build_udp_headers(from, to, ttl, header, frame, headers);
  std::array<iovec, 3> iov{{{headers.data(), n},
                            {const_cast<std::uint8_t*>(header.data()), header.size()},
                            {const_cast<std::uint8_t*>(frame.data()), frame.size()}}};
  // The port of a raw socket's address must be 0 (or its protocol).
  sockaddr_storage ss;
  socklen_t len = net::Endpoint{to.address, 0}.to_sockaddr(ss);
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = len;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  if (::sendmsg(socket_for(to.address.family()).get(), &msg, MSG_DONTWAIT) >= 0) return true;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return false;
  throw_errno("sending a control datagram from " + from.to_string() + " to " + to.to_string());
}

}  // namespace gn::dataplane
