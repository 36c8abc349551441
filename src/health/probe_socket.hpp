#pragma once
// The socket one prefix's probes go out of: ICMPv6 echo requests to the
// target's address inside the prefix (2001:db8:64:a::203.0.113.10), so
// they cross that NAT64 and no other.
//
// A ping socket (SOCK_DGRAM, IPPROTO_ICMPV6) when net.ipv4.ping_group_range
// lets our group have one: no privilege needed, the kernel picks the
// identifier and hands us only our replies. Otherwise (the default range
// "1 0" of a new network namespace) a raw ICMPv6 socket, which needs
// CAP_NET_RAW: it sees every echo reply of the namespace, so replies are
// matched by source address and our identifier. IPV6_RECVERR on both:
// an ICMPv6 error about a probe (unreachable, from the NAT64 or a router
// behind it) is read from the error queue and fails the probe at once,
// with the error as the reason, instead of a timeout later.
//
// Or UDP (--probe udp): datagrams to an echo service (RFC 862) on the
// target's port, through the NAT64's UDP path rather than its ICMP one; a
// connected socket, so the kernel hands us only the target's answers.
#include <cstdint>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "util/fd.hpp"

namespace gn::health {

enum class ProbeKind : std::uint8_t { kIcmp, kUdp };

class ProbeSocket {
 public:
  // Throws SystemError when no socket can be opened (for ICMP: neither
  // kind). `port`: the echo service's, for kUdp.
  ProbeSocket(const net::IpAddress& destination, ProbeKind kind, std::uint16_t port);

  int fd() const { return fd_.get(); }
  bool raw() const { return raw_; }
  // "ping", "raw ICMPv6" or "UDP", for the log.
  const char* kind_name() const;
  // Sends echo request `seq`. Throws SystemError (e.g. "network unreachable":
  // no route to the prefix).
  void send(std::uint16_t seq);

  struct Event {
    enum class Kind { kReply, kError } kind;
    std::uint16_t seq = 0;
    std::string reason;  // kError: what the ICMPv6 error or the socket said
  };
  // Everything that arrived (replies and errors), without blocking.
  std::vector<Event> receive();

 private:
  void read_errors(std::vector<Event>& out);

  net::IpAddress destination_;
  ProbeKind kind_;
  Fd fd_;
  bool raw_ = false;
  std::uint16_t id_ = 0;  // raw sockets: ours; ping sockets: the kernel's
};

}  // namespace gn::health
