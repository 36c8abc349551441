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

void Tunnel::set_target(UdpSocket& sock, const net::Endpoint& to, const std::optional<geneve::Nat64Route>& route) {
  socket = &sock;
  target_ = to;
  addr_len = to.to_sockaddr(addr);
  header = geneve::HeaderBuilder(vni);
  if (route) header.add_route(option_id, *route);
}

UserspaceDataplane::UserspaceDataplane(Lookup lookup, ControlHandler on_control)
    : lookup_(std::move(lookup)),
      on_control_(std::move(on_control)),
      tx_buf_(std::make_unique_for_overwrite<std::uint8_t[]>(kBatch * kSlotSize)),
      rx_buf_(std::make_unique_for_overwrite<std::uint8_t[]>(kBatch * kSlotSize)) {}

std::size_t UserspaceDataplane::on_tap_readable(Tunnel& t) {
  std::size_t count = 0;
  while (count < kBatch) {
    std::size_t n = t.tap->read_frame({tx_buf_.get() + count * kSlotSize, kSlotSize});
    if (n == 0) break;
    tx_len_[count++] = n;
  }
  if (count == 0) return 0;
  if (!t.has_target()) {
    // No path yet (a server before its client's first probe): nowhere to send.
    t.counters.drops[static_cast<std::size_t>(Drop::kNoPath)] += count;
    return count;
  }
  send_batch(t, count);
  return count;
}

void UserspaceDataplane::send_batch(Tunnel& t, std::size_t count) {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<std::array<iovec, 2>, kBatch> iovs{};
  auto header = t.header.bytes();
  for (std::size_t i = 0; i < count; ++i) {
    iovs[i][0] = {const_cast<std::uint8_t*>(header.data()), header.size()};
    iovs[i][1] = {tx_buf_.get() + i * kSlotSize, tx_len_[i]};
    msgs[i].msg_hdr.msg_name = &t.addr;
    msgs[i].msg_hdr.msg_namelen = t.addr_len;
    msgs[i].msg_hdr.msg_iov = iovs[i].data();
    msgs[i].msg_hdr.msg_iovlen = 2;
  }
  std::size_t done = 0;
  while (done < count) {
    // The socket is blocking for sends: a full send buffer pushes back on
    // the TAP queue instead of dropping here.
    int sent = ::sendmmsg(t.socket->fd(), msgs.data() + done, static_cast<unsigned>(count - done), 0);
    if (sent > 0) {
      for (std::size_t i = done; i < done + static_cast<std::size_t>(sent); ++i) {
        ++t.counters.tx_packets;
        t.counters.tx_bytes += tx_len_[i];
      }
      done += static_cast<std::size_t>(sent);
      continue;
    }
    if (errno == EINTR) continue;
    // The first message of the rest failed: count it and move past it.
    if (errno == EMSGSIZE) {
      t.counters.drop(Drop::kTooBig);
      log::debug("frame of {} bytes does not fit the path MTU to {}", tx_len_[done], t.target().to_string());
    } else {
      t.counters.drop(Drop::kSendError);
      log::debug("sending to {} failed: {}", t.target().to_string(), std::strerror(errno));
    }
    ++done;
  }
}

bool UserspaceDataplane::send_control(UdpSocket& sock, const net::Endpoint& to, std::span<const std::uint8_t> header,
                                      std::span<const std::uint8_t> frame) {
  sockaddr_storage ss;
  socklen_t len = to.to_sockaddr(ss);
  std::array<iovec, 2> iov{{{const_cast<std::uint8_t*>(header.data()), header.size()},
                            {const_cast<std::uint8_t*>(frame.data()), frame.size()}}};
  msghdr msg{};
  msg.msg_name = &ss;
  msg.msg_namelen = len;
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  if (::sendmsg(sock.fd(), &msg, MSG_DONTWAIT) >= 0) return true;
  log::debug("sending a control message to {} failed: {}", to.to_string(), std::strerror(errno));
  return false;
}

std::size_t UserspaceDataplane::on_udp_readable(UdpSocket& sock) {
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<sockaddr_storage, kBatch> from{};
  for (std::size_t i = 0; i < kBatch; ++i) {
    iovs[i] = {rx_buf_.get() + i * kSlotSize, kSlotSize};
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
      unattributed_.drop(Drop::kTruncated);
      continue;
    }
    deliver({rx_buf_.get() + static_cast<std::size_t>(i) * kSlotSize, msgs[i].msg_len}, src->unmapped(), sock);
  }
  return static_cast<std::size_t>(n);
}

void UserspaceDataplane::deliver(std::span<const std::uint8_t> datagram, const net::Endpoint& from, UdpSocket& sock) {
  // The tunnel is found by the address its packets come from (docs/protocol.md 6.6).
  Tunnel* t = lookup_(from);
  control::Counters& counters = t ? t->counters : unattributed_;
  geneve::Packet pkt;
  geneve::OptionId option_id = t ? t->option_id : geneve::OptionId{};
  if (auto err = geneve::parse(datagram, option_id, pkt); err != geneve::ParseError::kOk) {
    counters.drop(t ? drop_for(err) : Drop::kUnknownSource);
    return;
  }
  if (!t) {
    // Unknown source: only a control message may be worth reading (a probe
    // that teaches a path, or the reply to a challenge).
    if (pkt.protocol == geneve::kProtoEthernet && geneve::is_control_frame(pkt.payload)) {
      on_control_(nullptr, pkt.vni, pkt.payload, from, sock);
      return;
    }
    counters.drop(Drop::kUnknownSource);
    return;
  }
  if (pkt.vni != t->vni) {
    counters.drop(Drop::kWrongVni);
    return;
  }
  if (pkt.protocol != geneve::kProtoEthernet) {
    counters.drop(Drop::kWrongProtocol);
    return;
  }
  if (pkt.route_state != geneve::RouteState::kAbsent) {
    ++counters.rx_route_option;
    // The option is for gateways; a well-formed one naming another endpoint
    // means this frame was meant for someone else.
    if (pkt.route_state == geneve::RouteState::kPresent && pkt.route.address != t->local_v6.bytes()) {
      counters.drop(Drop::kRouteForeign);
      return;
    }
  }
  if (pkt.payload.size() < geneve::kEthernetHeaderLen) {
    counters.drop(Drop::kRuntFrame);
    return;
  }
  counters.last_rx = std::chrono::steady_clock::now();
  if (geneve::is_control_frame(pkt.payload)) {
    on_control_(t, pkt.vni, pkt.payload, from, sock);
    return;
  }
  if (!t->tap->write_frame(pkt.payload)) {
    counters.drop(Drop::kTapWriteError);
    return;
  }
  ++counters.rx_packets;
  counters.rx_bytes += pkt.payload.size();
}

}  // namespace gn::dataplane
