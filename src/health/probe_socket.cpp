#include "health/probe_socket.hpp"

#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "health/echo.hpp"
#include "util/error.hpp"

namespace gn::health {
namespace {

// Distinct identifiers for this process's raw sockets (one per prefix).
std::uint16_t next_raw_id() {
  static std::atomic<std::uint16_t> counter{static_cast<std::uint16_t>(::getpid() * 131)};
  return counter.fetch_add(1);
}

std::string icmp6_error_text(const sock_extended_err& e, const net::IpAddress& from) {
  std::string what;
  if (e.ee_origin == SO_EE_ORIGIN_ICMP6) {
    switch (e.ee_type) {
      case ICMP6_DST_UNREACH: what = "destination unreachable"; break;
      case ICMP6_PACKET_TOO_BIG: what = "packet too big"; break;
      case ICMP6_TIME_EXCEEDED: what = "time exceeded"; break;
      case ICMP6_PARAM_PROB: what = "parameter problem"; break;
      default: what = "ICMPv6 type " + std::to_string(e.ee_type); break;
    }
    what += " (code " + std::to_string(e.ee_code) + ") from " + from.to_string();
  } else {
    what = std::strerror(static_cast<int>(e.ee_errno));
  }
  return what;
}

}  // namespace

ProbeSocket::ProbeSocket(const net::IpAddress& destination, ProbeKind kind, std::uint16_t port)
    : destination_(destination), kind_(kind) {
  if (kind_ == ProbeKind::kUdp) {
    fd_ = Fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
    if (!fd_) throw_errno("cannot open a UDP socket");
    id_ = next_raw_id();
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    to.sin6_addr = destination_.to_in6();
    to.sin6_port = htons(port);
    // Connected: only the echo service's datagrams arrive, errors are ours.
    if (::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
      throw_errno("cannot connect a UDP socket to [" + destination_.to_string() + "]:" + std::to_string(port));
  } else {
    fd_ = Fd(::socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6));
  }
  if (!fd_) {
    if (errno != EACCES && errno != EPERM) throw_errno("cannot open an ICMPv6 ping socket");
    fd_ = Fd(::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6));
    if (!fd_)
      throw_errno(
          "cannot open an ICMPv6 socket (ping sockets are not allowed for our group by net.ipv4.ping_group_range, "
          "and a raw socket needs CAP_NET_RAW)");
    raw_ = true;
    id_ = next_raw_id();
    icmp6_filter filter;
    ICMP6_FILTER_SETBLOCKALL(&filter);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
    if (::setsockopt(fd_.get(), IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) < 0)
      throw_errno("cannot filter the raw ICMPv6 socket to echo replies");
  }
  const int on = 1;
  if (::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on) < 0)
    throw_errno("cannot ask for ICMPv6 errors (IPV6_RECVERR)");
}

const char* ProbeSocket::kind_name() const {
  if (kind_ == ProbeKind::kUdp) return "UDP";
  return raw_ ? "raw ICMPv6" : "ping";
}

void ProbeSocket::send(std::uint16_t seq) {
  const auto message = echo_request(id_, seq);
  if (kind_ == ProbeKind::kUdp) {
    if (::send(fd_.get(), message.data(), message.size(), 0) < 0)
      throw_errno("cannot send a probe to " + destination_.to_string());
    return;
  }
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = destination_.to_in6();
  if (::sendto(fd_.get(), message.data(), message.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
    throw_errno("cannot send a probe to " + destination_.to_string());
}

void ProbeSocket::read_errors(std::vector<Event>& out) {
  for (;;) {
    std::array<std::uint8_t, 256> data{};
    std::array<char, 512> control{};
    sockaddr_in6 from{};
    iovec iov{data.data(), data.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    if (::recvmsg(fd_.get(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_IPV6 || c->cmsg_type != IPV6_RECVERR) continue;
      sock_extended_err e;
      std::memcpy(&e, CMSG_DATA(c), sizeof e);
      // The offender (who sent the ICMPv6 error) follows the structure.
      sockaddr_in6 offender;
      std::memcpy(&offender, CMSG_DATA(c) + sizeof e, sizeof offender);
      const net::IpAddress by =
          offender.sin6_family == AF_INET6 ? net::IpAddress::from_in6(offender.sin6_addr) : destination_;
      out.push_back({Event::Kind::kError, 0, icmp6_error_text(e, by)});
    }
  }
}

std::vector<ProbeSocket::Event> ProbeSocket::receive() {
  std::vector<Event> out;
  read_errors(out);
  for (;;) {
    std::array<std::uint8_t, 1500> buf{};
    sockaddr_in6 from{};
    socklen_t len = sizeof from;
    const ssize_t n =
        ::recvfrom(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      // EAGAIN: all read. Anything else was an error queued meanwhile.
      if (errno != EAGAIN && errno != EWOULDBLOCK) read_errors(out);
      break;
    }
    if (kind_ == ProbeKind::kUdp) {
      // Connected: the kernel already matched the source.
      if (const auto seq = parse_udp_echo({buf.data(), static_cast<std::size_t>(n)}, id_))
        out.push_back({Event::Kind::kReply, *seq, {}});
      continue;
    }
    const auto reply = parse_echo_reply({buf.data(), static_cast<std::size_t>(n)});
    if (!reply || net::IpAddress::from_in6(from.sin6_addr) != destination_) continue;
    // A raw socket sees every reply in the namespace; a ping socket only its own.
    if (raw_ && reply->id != id_) continue;
    out.push_back({Event::Kind::kReply, reply->seq, {}});
  }
  return out;
}

}  // namespace gn::health
