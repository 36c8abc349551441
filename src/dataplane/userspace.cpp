#include "dataplane/userspace.hpp"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "geneve/control.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::dataplane {

using control::Drop;

namespace {

geneve::HeaderBuilder make_header(const PeerConfig& peer) {
  geneve::HeaderBuilder h(peer.vni);
  if (peer.route) h.add_route(peer.option_id, *peer.route);
  return h;
}

Drop drop_for(geneve::ParseError e) {
  switch (e) {
    case geneve::ParseError::kTruncated: return Drop::kTruncated;
    case geneve::ParseError::kBadVersion: return Drop::kBadVersion;
    case geneve::ParseError::kOptionsTruncated: return Drop::kOptionsTruncated;
    case geneve::ParseError::kOptionOverrun: return Drop::kOptionOverrun;
    case geneve::ParseError::kUnknownCritical:
    case geneve::ParseError::kOk: break;
  }
  return Drop::kUnknownCritical;
}

}  // namespace

UserspaceDataplane::UserspaceDataplane(TapDevice& tap, std::vector<UdpSocket*> sockets, UdpSocket& sender,
                                       const PeerConfig& peer)
    : tap_(tap),
      sockets_(std::move(sockets)),
      sender_(sender),
      peer_(peer),
      header_(make_header(peer)),
      tx_buf_(kBatch * kSlotSize),
      rx_buf_(kBatch * kSlotSize) {
  peer_addr_len_ = peer_.send_to.to_sockaddr(peer_addr_);
}

std::size_t UserspaceDataplane::on_tap_readable() {
  std::size_t count = 0;
  while (count < kBatch) {
    std::size_t n = tap_.read_frame({tx_buf_.data() + count * kSlotSize, kSlotSize});
    if (n == 0) break;
    tx_len_[count++] = n;
  }
  if (count > 0) send_batch(count);
  return count;
}

void UserspaceDataplane::send_batch(std::size_t count) {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<std::array<iovec, 2>, kBatch> iovs{};
  auto header = header_.bytes();
  for (std::size_t i = 0; i < count; ++i) {
    iovs[i][0] = {const_cast<std::uint8_t*>(header.data()), header.size()};
    iovs[i][1] = {tx_buf_.data() + i * kSlotSize, tx_len_[i]};
    msgs[i].msg_hdr.msg_name = &peer_addr_;
    msgs[i].msg_hdr.msg_namelen = peer_addr_len_;
    msgs[i].msg_hdr.msg_iov = iovs[i].data();
    msgs[i].msg_hdr.msg_iovlen = 2;
  }
  std::size_t done = 0;
  while (done < count) {
    // The socket is blocking for sends: a full send buffer pushes back on
    // the TAP queue instead of dropping here.
    int sent = ::sendmmsg(sender_.fd(), msgs.data() + done, static_cast<unsigned>(count - done), 0);
    if (sent > 0) {
      for (std::size_t i = done; i < done + static_cast<std::size_t>(sent); ++i) {
        ++counters_.tx_packets;
        counters_.tx_bytes += tx_len_[i];
      }
      done += static_cast<std::size_t>(sent);
      continue;
    }
    if (errno == EINTR) continue;
    // The first message of the rest failed: count it and move past it.
    if (errno == EMSGSIZE) {
      counters_.drop(Drop::kTooBig);
      log::debug("frame of {} bytes does not fit the path MTU to {}", tx_len_[done], peer_.send_to.to_string());
    } else {
      counters_.drop(Drop::kSendError);
      log::debug("sending to {} failed: {}", peer_.send_to.to_string(), std::strerror(errno));
    }
    ++done;
  }
}

std::size_t UserspaceDataplane::on_udp_readable(UdpSocket& sock) {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_storage, kBatch> from{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    iovs[i] = {rx_buf_.data() + i * kSlotSize, kSlotSize};
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int n = ::recvmmsg(sock.fd(), msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return 0;
    throw_errno("receiving on " + sock.local().to_string());
  }
  for (int i = 0; i < n; ++i) {
    auto src = net::Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from[i]), msgs[i].msg_hdr.msg_namelen);
    // A datagram truncated to the slot would be a corrupt frame: the flag says so.
    if (!src || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
      counters_.drop(Drop::kTruncated);
      continue;
    }
    deliver({rx_buf_.data() + static_cast<std::size_t>(i) * kSlotSize, msgs[i].msg_len}, *src);
  }
  return static_cast<std::size_t>(n);
}

void UserspaceDataplane::deliver(std::span<const std::uint8_t> datagram, const net::Endpoint& from) {
  // The peer is known by the address its packets come from (PATH). The port
  // is not checked: a NAT may pick any, and a kernel GENEVE sender hashes
  // flows over a port range.
  if (from.address != peer_.accept_from) {
    counters_.drop(Drop::kUnknownSource);
    return;
  }
  geneve::Packet pkt;
  if (auto err = geneve::parse(datagram, peer_.option_id, pkt); err != geneve::ParseError::kOk) {
    counters_.drop(drop_for(err));
    return;
  }
  if (pkt.vni != peer_.vni) {
    counters_.drop(Drop::kWrongVni);
    return;
  }
  if (pkt.protocol != geneve::kProtoEthernet) {
    counters_.drop(Drop::kWrongProtocol);
    return;
  }
  if (pkt.route_state != geneve::RouteState::kAbsent) {
    ++counters_.rx_route_option;
    // The option is for gateways; a well-formed one naming another endpoint
    // means this frame was meant for someone else.
    if (pkt.route_state == geneve::RouteState::kPresent && pkt.route.address != peer_.local_v6.bytes()) {
      counters_.drop(Drop::kRouteForeign);
      return;
    }
  }
  if (pkt.payload.size() < geneve::kEthernetHeaderLen) {
    counters_.drop(Drop::kRuntFrame);
    return;
  }
  counters_.last_rx = std::chrono::steady_clock::now();
  if (geneve::is_control_frame(pkt.payload)) {
    counters_.drop(Drop::kControlUnhandled);
    return;
  }
  if (!tap_.write_frame(pkt.payload)) {
    counters_.drop(Drop::kTapWriteError);
    return;
  }
  ++counters_.rx_packets;
  counters_.rx_bytes += pkt.payload.size();
}

}  // namespace gn::dataplane
