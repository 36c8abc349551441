#include "dataplane/packet_socket.hpp"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <sys/socket.h>

#include <cerrno>

#include <fmt/format.h>

#include "util/error.hpp"

namespace gn::dataplane {

PacketSocket::PacketSocket(int ifindex, const std::string& ifname, std::uint16_t ethertype)
    : fd_(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ethertype))),
      ifindex_(ifindex),
      ifname_(ifname) {
  if (!fd_) throw_errno(fmt::format("opening a packet socket for EtherType {:#06x} on {}", ethertype, ifname));
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ethertype);
  sll.sll_ifindex = ifindex;
  if (::bind(fd_.get(), reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0)
    throw_errno(fmt::format("binding a packet socket to {} for EtherType {:#06x}", ifname, ethertype));
}

bool PacketSocket::send_frame(std::span<const std::uint8_t> frame) {
  for (;;) {
    ssize_t n = ::send(fd_.get(), frame.data(), frame.size(), 0);
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == ENOBUFS) return false;
    throw_errno(fmt::format("sending a control frame of {} bytes on {}", frame.size(), ifname_));
  }
}

std::size_t PacketSocket::receive_frame(std::span<std::uint8_t> buf) {
  for (;;) {
    sockaddr_ll from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd_.get(), buf.data(), buf.size(), MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return 0;
      throw_errno("receiving a control frame on " + ifname_);
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    // A frame longer than the buffer is not a control message we can use.
    if (static_cast<std::size_t>(n) > buf.size()) continue;
    return static_cast<std::size_t>(n);
  }
}

}  // namespace gn::dataplane
