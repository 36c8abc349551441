#pragma once
// Sends GENEVE datagrams from a port we do not hold: while a kernel GENEVE
// device owns the tunnel's UDP port, a server's challenges and replies must
// still leave from that port to any address and port (a client's NAT
// mapping). IPPROTO_RAW sockets take the whole IP packet, which we build
// (dataplane/outer_packet.hpp: DF, the UDP checksum always); they receive
// nothing, so they cost the data path nothing. Needs CAP_NET_RAW.
#include <cstdint>
#include <span>

#include "net/address.hpp"
#include "util/fd.hpp"

namespace gn::dataplane {

class RawSender {
 public:
  // Sockets are opened on first use per family; throws SystemError if one
  // cannot be.
  RawSender() = default;
  // One datagram from `from` to `to` (one family) carrying `header` (even
  // length) then `frame`. False if the kernel had no room (EAGAIN/ENOBUFS);
  // throws SystemError on other failures (no route, EMSGSIZE, EPERM).
  bool send(const net::Endpoint& from, const net::Endpoint& to, std::span<const std::uint8_t> header,
            std::span<const std::uint8_t> frame, std::uint8_t ttl = 64);

 private:
  Fd& socket_for(net::Family f);
  Fd v4_, v6_;
};

}  // namespace gn::dataplane
