#include "dataplane/userspace.hpp"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "geneve/control.hpp"
#include "net/protocol.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::dataplane {

namespace {

// Transmit limits. A frame is read only while the arena has room for its
// worst case (the frame itself, then kMaxFrameSegments headers) and the
// batch for its segments.
constexpr std::size_t kArenaSize = 2 << 20;
constexpr std::size_t kMaxFrameSegments = 128;  // a 64 KiB TSO frame at IPv4's minimum MSS of 536
constexpr std::size_t kMaxSegmentHeaders = geneve::kMaxHeaderLen + 14 + 60 + 60;
constexpr std::size_t kFrameRoom =
    offload::kVnetHeaderLen + offload::kMaxFrame + kMaxFrameSegments * kMaxSegmentHeaders;
constexpr std::size_t kMaxBatchSegments = 4096;
// UDP_SEGMENT: at most 64 segments (UDP_MAX_SEGMENTS before Linux 6.13) and
// one IP packet's worth of bytes per message.
constexpr std::size_t kMaxGsoSegments = 64;
constexpr std::size_t kMaxGsoBytes = 65000;
constexpr std::size_t kSendBatch = 64;  // messages per sendmmsg
constexpr std::size_t kMaxQueuedControl = 256;

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

union SegmentCmsg {
  cmsghdr align;
  char buf[CMSG_SPACE(sizeof(std::uint16_t))];
};
union GroCmsg {
  cmsghdr align;
  char buf[CMSG_SPACE(sizeof(int))];
};

}  // namespace

void Tunnel::set_target(UdpSocket& sock, const net::Endpoint& to, const std::optional<geneve::Nat64Route>& route) {
  geneve::HeaderBuilder header(vni);
  if (route) header.add_route(option_id, *route);
  std::lock_guard lock(mu_);
  target_.socket = &sock;
  target_.to = to;
  target_.addr_len = to.to_sockaddr(target_.addr);
  auto bytes = header.bytes();
  std::copy(bytes.begin(), bytes.end(), target_.header.begin());
  target_.header_len = bytes.size();
}

void Tunnel::clear_target() {
  std::lock_guard lock(mu_);
  target_.socket = nullptr;
}

bool Tunnel::load_target(TxTarget& out) const {
  std::lock_guard lock(mu_);
  out = target_;
  return out.socket != nullptr;
}

Counters Tunnel::merged_counters() const {
  Counters c = counters;
  c.tx_packets += tx.packets.load(std::memory_order_relaxed);
  c.tx_bytes += tx.bytes.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < c.drops.size(); ++i) c.drops[i] += tx.drops[i].load(std::memory_order_relaxed);
  return c;
}

UserspaceDataplane::UserspaceDataplane(EventLoop& loop, Owner& owner)
    : loop_(loop),
      owner_(owner),
      arena_(std::make_unique_for_overwrite<std::uint8_t[]>(kArenaSize)),
      rx_buf_(std::make_unique_for_overwrite<std::uint8_t[]>(kRxRounds * kRxBatch * kRxSlot)) {
  tx_msgs_.reserve(kMaxBatchSegments);
  tx_iovs_.reserve(2 * kMaxBatchSegments);
}

UserspaceDataplane::~UserspaceDataplane() {
  // The worker first: it reads the TAPs and sockets the endpoint owns. The
  // main loop is gone by now (the endpoint destroys it first): nothing to
  // unwatch there.
  if (worker_.joinable()) {
    tx_loop_.stop();
    worker_.join();
  }
}

void UserspaceDataplane::add_tunnel(Tunnel& t) {
  watch_tap(TxSource{t.tap, &t, nullptr});
}

void UserspaceDataplane::add_shared_interface(TapDevice& tap, const AllowedIps& routes) {
  watch_tap(TxSource{&tap, nullptr, &routes});
}

void UserspaceDataplane::watch_tap(TxSource source) {
  if (worker_.joinable()) throw std::logic_error("a TAP added after the transmit worker started");
  TxSource& s = sources_.emplace_back(source);
  tx_loop_.watch(s.tap->fd(), "the TAP device", [this, &s] { on_tap_readable(s); });
}

void UserspaceDataplane::add_socket(UdpSocket& sock, const char* what) {
  loop_.watch(sock.fd(), what, [this, &sock] { on_udp_readable(sock); });
}

void UserspaceDataplane::start() {
  if (worker_.joinable() || sources_.empty()) return;
  worker_ = std::jthread([this] {
    try {
      tx_loop_.run();
    } catch (const std::exception& e) {
      // Nothing can be sent any more: say so and end the process, as an
      // error in the main loop would.
      log::error("the transmit worker failed: {}", e.what());
      std::abort();
    }
  });
}

bool UserspaceDataplane::gso_refused(const UdpSocket& sock) const {
  std::lock_guard lock(gso_mu_);
  return std::find(gso_off_list_.begin(), gso_off_list_.end(), &sock) != gso_off_list_.end();
}

DataplaneStats UserspaceDataplane::stats() const {
  DataplaneStats s = stats_;
  s.tx_blocked = tx_blocked_.load(std::memory_order_relaxed);
  s.gso_sends = gso_sends_.load(std::memory_order_relaxed);
  return s;
}

// --- transmit (the worker thread): TAP -> segments -> UDP ---------------------

void UserspaceDataplane::on_tap_readable(TxSource& source) {
  if (blocked_) {  // woken while the batch waits for room: wait too
    tx_loop_.set_reading(source.tap->fd(), false);
    paused_.push_back(source.tap->fd());
    return;
  }
  arena_used_ = 0;
  tx_msgs_.clear();
  tx_iovs_.clear();
  tx_segments_ = 0;
  tx_next_ = 0;
  batch_targets_.clear();
  read_tap_batch(source);
  if (tx_msgs_.empty()) return;
  if (UdpSocket* full = send_batch()) block_on(*full);
}

void UserspaceDataplane::read_tap_batch(TxSource& source) {
  TapDevice& tap = *source.tap;
  const bool vnet = tap.offloads().vnet_header;
  for (std::size_t k = 0; k < kTapBatch; ++k) {
    if (kArenaSize - arena_used_ < kFrameRoom || tx_segments_ + kMaxFrameSegments > kMaxBatchSegments) break;
    // The frame is read into the arena and stays there until it is sent:
    // the segments gather their payload from it.
    std::uint8_t* in = arena_.get() + arena_used_;
    std::size_t n = tap.read_frame({in, offload::kVnetHeaderLen + offload::kMaxFrame});
    if (n == 0) break;
    offload::VnetHeader vh;
    std::span<std::uint8_t> frame(in, n);
    TxCounters& unowned = source.tunnel ? source.tunnel->tx : shared_tx_;
    if (vnet) {
      if (n < offload::kVnetHeaderLen) {
        unowned.drop(Drop::kBadOffload);
        continue;
      }
      vh = offload::read_vnet(std::span<const std::uint8_t, offload::kVnetHeaderLen>(in, offload::kVnetHeaderLen));
      frame = frame.subspan(offload::kVnetHeaderLen);
    }
    // A tunnel's own TAP is all its; a shared one's frames go by their
    // inner destination.
    Tunnel* t = source.tunnel ? source.tunnel : source.routes->route(frame);
    if (!t) {
      shared_tx_.drop(Drop::kNoPeer);
      continue;
    }
    std::uint32_t index = 0;
    BatchTarget* bt = batch_target(*t, index);
    if (!bt) {
      // No path yet (a server before its client's first probe): nowhere to send.
      t->tx.drop(Drop::kNoPath);
      continue;
    }
    const std::span<const std::uint8_t> header(bt->target.header.data(), bt->target.header_len);
    // The segments' headers go right after the frame (bytes: no alignment).
    const std::size_t headers_at = arena_used_ + n;
    std::uint8_t* headers = arena_.get() + headers_at;
    offload::SegmentPlan plan;
    auto err =
        offload::plan_segments(vh, frame, header.size(), {headers, kArenaSize - headers_at}, kMaxFrameSegments, plan);
    if (err != offload::SegmentError::kOk) {
      t->tx.drop(Drop::kBadOffload);
      log::debug("dropped a {}-byte frame from {}: {} (gso type {}, size {})", n, tap.name(), offload::to_string(err),
                 vh.gso_type, vh.gso_size);
      continue;
    }
    // Two pieces a datagram: the GENEVE header and the segment's own
    // headers, then its payload where it lies in the frame.
    const auto first_iov = static_cast<std::uint32_t>(tx_iovs_.size());
    for (std::size_t i = 0; i < plan.count; ++i) {
      std::uint8_t* h = headers + i * plan.header_stride;
      std::memcpy(h, header.data(), header.size());
      tx_iovs_.push_back({h, plan.header_stride});
      tx_iovs_.push_back({frame.data() + plan.payload_at(i), plan.payload_size(i)});
    }
    const std::size_t stride = plan.datagram_size();
    const std::size_t per = bt->gso ? std::clamp<std::size_t>(kMaxGsoBytes / stride, 1, kMaxGsoSegments) : 1;
    for (std::size_t i = 0; i < plan.count; i += per) {
      std::size_t c = std::min(per, plan.count - i);
      std::size_t len = (c - 1) * stride + plan.header_stride + plan.payload_size(i + c - 1);
      tx_msgs_.push_back(TxMessage{static_cast<std::uint32_t>(first_iov + 2 * i), static_cast<std::uint32_t>(len),
                                   static_cast<std::uint16_t>(c > 1 ? stride : 0), static_cast<std::uint16_t>(c),
                                   static_cast<std::uint32_t>(len - c * header.size()), index});
    }
    arena_used_ = headers_at + plan.header_bytes();
    tx_segments_ += plan.count;
  }
}

UserspaceDataplane::BatchTarget* UserspaceDataplane::batch_target(Tunnel& t, std::uint32_t& index) {
  // A batch holds at most kTapBatch frames, so at most that many tunnels:
  // a linear search from the most recent finds a run of one tunnel's frames
  // at once.
  for (std::size_t i = batch_targets_.size(); i-- > 0;) {
    if (batch_targets_[i].tunnel != &t) continue;
    index = static_cast<std::uint32_t>(i);
    return batch_targets_[i].target.socket ? &batch_targets_[i] : nullptr;
  }
  BatchTarget& bt = batch_targets_.emplace_back();
  bt.tunnel = &t;
  index = static_cast<std::uint32_t>(batch_targets_.size() - 1);
  if (!t.load_target(bt.target)) return nullptr;
  bt.gso = bt.target.socket->offloads().gso && !gso_refused(*bt.target.socket);
  return &bt;
}

void UserspaceDataplane::split_gso_messages() {
  // Only after a refusal: rewrite the unsent rest as one datagram a message
  // (each datagram's two pieces are consecutive in tx_iovs_).
  std::vector<TxMessage> rest;
  rest.reserve(kMaxBatchSegments);
  for (std::size_t i = tx_next_; i < tx_msgs_.size(); ++i) {
    const TxMessage& m = tx_msgs_[i];
    if (m.segs <= 1) {
      rest.push_back(m);
      continue;
    }
    const std::size_t header_len = batch_targets_[m.target].target.header_len;
    for (std::uint32_t s = 0; s < m.segs; ++s) {
      const std::uint32_t iov = m.iov + 2 * s;
      const auto len = static_cast<std::uint32_t>(tx_iovs_[iov].iov_len + tx_iovs_[iov + 1].iov_len);
      rest.push_back(TxMessage{iov, len, 0, 1, static_cast<std::uint32_t>(len - header_len), m.target});
    }
  }
  tx_msgs_.swap(rest);
  tx_next_ = 0;
}

UdpSocket* UserspaceDataplane::send_batch() {
  std::array<mmsghdr, kSendBatch> msgs;
  std::array<SegmentCmsg, kSendBatch> cmsgs;
  while (tx_next_ < tx_msgs_.size()) {
    // One sendmmsg per run of messages on one socket (a shared interface's
    // batch may go to IPv4 and IPv6 peers); each message has its own address.
    UdpSocket& sock = *batch_targets_[tx_msgs_[tx_next_].target].target.socket;
    std::size_t count = 0;
    while (count < kSendBatch && tx_next_ + count < tx_msgs_.size() &&
           batch_targets_[tx_msgs_[tx_next_ + count].target].target.socket == &sock)
      ++count;
    for (std::size_t i = 0; i < count; ++i) {
      const TxMessage& m = tx_msgs_[tx_next_ + i];
      TxTarget& target = batch_targets_[m.target].target;
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &target.addr;
      msgs[i].msg_hdr.msg_namelen = target.addr_len;
      msgs[i].msg_hdr.msg_iov = &tx_iovs_[m.iov];
      msgs[i].msg_hdr.msg_iovlen = 2 * std::size_t{m.segs};
      if (m.segs > 1) {
        msgs[i].msg_hdr.msg_control = cmsgs[i].buf;
        msgs[i].msg_hdr.msg_controllen = sizeof cmsgs[i].buf;
        cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        std::memcpy(CMSG_DATA(c), &m.gso, sizeof m.gso);
      }
    }
    int sent = ::sendmmsg(sock.fd(), msgs.data(), static_cast<unsigned>(count), 0);
    if (sent > 0) {
      std::uint64_t gso = 0;
      for (std::size_t i = tx_next_; i < tx_next_ + static_cast<std::size_t>(sent); ++i) {
        const TxMessage& m = tx_msgs_[i];
        TxCounters& counters = batch_targets_[m.target].tunnel->tx;
        counters.packets.fetch_add(m.segs, std::memory_order_relaxed);
        counters.bytes.fetch_add(m.inner_bytes, std::memory_order_relaxed);
        gso += m.segs > 1 ? 1 : 0;
      }
      gso_sends_.fetch_add(gso, std::memory_order_relaxed);
      tx_next_ += static_cast<std::size_t>(sent);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return &sock;
    const TxMessage& m = tx_msgs_[tx_next_];
    if (m.segs > 1 && (errno == EIO || errno == EINVAL)) {
      // EIO: the route's device cannot checksum, so the kernel cannot
      // segment (a veth with tx offload off). EINVAL: a segment is larger
      // than the path MTU now allows. Either way, datagram by datagram.
      if (errno == EIO) {
        log::warn(
            "UDP segmentation offload refused on {} (the route's device does not checksum): sending datagram "
            "by datagram from now on",
            sock.local().to_string());
        std::lock_guard lock(gso_mu_);
        gso_off_list_.push_back(&sock);
      }
      split_gso_messages();
      continue;
    }
    // The first message of the rest failed: count it and move past it.
    const BatchTarget& bt = batch_targets_[m.target];
    if (errno == EMSGSIZE) {
      bt.tunnel->tx.drop(Drop::kTooBig, m.segs);
      log::debug("a frame of {} bytes does not fit the path MTU to {}", m.segs > 1 ? m.gso : m.len,
                 bt.target.to.to_string());
    } else {
      bt.tunnel->tx.drop(Drop::kSendError, m.segs);
      log::debug("sending to {} failed: {}", bt.target.to.to_string(), std::strerror(errno));
    }
    ++tx_next_;
  }
  return nullptr;
}

void UserspaceDataplane::block_on(UdpSocket& sock) {
  blocked_ = &sock;
  tx_blocked_.fetch_add(1, std::memory_order_relaxed);
  // Every TAP waits (they share the batch arena): each one that wakes in
  // the meantime stops itself (on_tap_readable), so this costs nothing per
  // idle TAP.
  tx_loop_.watch(sock.fd(), "the full UDP socket", nullptr);
  tx_loop_.set_reading(sock.fd(), false);
  tx_loop_.when_writable(sock.fd(), [this, &sock] { on_tx_writable(sock); });
}

void UserspaceDataplane::on_tx_writable(UdpSocket& sock) {
  UdpSocket* full = send_batch();
  if (full == &sock) {
    tx_loop_.when_writable(sock.fd(), [this, &sock] { on_tx_writable(sock); });
    return;
  }
  blocked_ = nullptr;
  tx_loop_.unwatch(sock.fd());
  if (full) {  // the rest of the batch waits for another socket now
    block_on(*full);
    return;
  }
  for (int fd : paused_) tx_loop_.set_reading(fd, true);
  paused_.clear();
}

bool UserspaceDataplane::send_control(UdpSocket& sock, const net::Endpoint& to, std::span<const std::uint8_t> header,
                                      std::span<const std::uint8_t> frame) {
  sockaddr_storage ss;
  socklen_t len = to.to_sockaddr(ss);
  bool waiting = std::any_of(control_queue_.begin(), control_queue_.end(),
                             [&](const QueuedControl& q) { return q.socket == &sock; });
  if (!waiting) {
    std::array<iovec, 2> iov{{{const_cast<std::uint8_t*>(header.data()), header.size()},
                              {const_cast<std::uint8_t*>(frame.data()), frame.size()}}};
    msghdr msg{};
    msg.msg_name = &ss;
    msg.msg_namelen = len;
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
    if (::sendmsg(sock.fd(), &msg, MSG_DONTWAIT) >= 0) return true;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
      log::warn("sending a control message to {} failed: {}", to.to_string(), std::strerror(errno));
      return false;
    }
  }
  // The socket is full: the message waits (ahead of any later control
  // message) until it drains, and goes in the main loop's next turn then.
  if (control_queue_.size() >= kMaxQueuedControl) {
    unattributed_.drop(Drop::kControlQueueFull);
    return false;
  }
  QueuedControl q{&sock, ss, len, {}};
  q.bytes.reserve(header.size() + frame.size());
  q.bytes.insert(q.bytes.end(), header.begin(), header.end());
  q.bytes.insert(q.bytes.end(), frame.begin(), frame.end());
  control_queue_.push_back(std::move(q));
  ++stats_.control_queued;
  loop_.when_writable(sock.fd(), [this, &sock] { on_control_writable(sock); });
  return true;
}

void UserspaceDataplane::on_control_writable(UdpSocket& sock) {
  if (!flush_control(sock)) loop_.when_writable(sock.fd(), [this, &sock] { on_control_writable(sock); });
}

bool UserspaceDataplane::flush_control(UdpSocket& sock) {
  for (auto it = control_queue_.begin(); it != control_queue_.end();) {
    if (it->socket != &sock) {
      ++it;
      continue;
    }
    if (::sendto(sock.fd(), it->bytes.data(), it->bytes.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&it->addr),
                 it->addr_len) < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return false;
      log::warn("sending a queued control message failed: {}", std::strerror(errno));
    }
    it = control_queue_.erase(it);
  }
  return true;
}

// --- receive: UDP (GRO) -> validate -> coalesce -> TAP -------------------------

void UserspaceDataplane::on_udp_readable(UdpSocket& sock) {
  // Read until the socket is empty (a few rounds at most, so the TAPs and
  // timers get their turn), then flush: as NAPI flushes GRO when its queue
  // is empty, so that segments arriving in two receives still merge into
  // one super-frame, and the inner TCP sends one ACK where it would send two.
  for (std::size_t round = 0; round < kRxRounds; ++round) {
    if (receive_batch(sock, round) == 0) break;
  }
  flush_coalesced();
}

std::size_t UserspaceDataplane::receive_batch(UdpSocket& sock, std::size_t round) {
  std::array<mmsghdr, kRxBatch> msgs{};
  std::array<iovec, kRxBatch> iovs{};
  std::array<sockaddr_storage, kRxBatch> from{};
  std::array<GroCmsg, kRxBatch> cmsgs;
  for (std::size_t i = 0; i < kRxBatch; ++i) {
    iovs[i] = {rx_buf_.get() + (round * kRxBatch + i) * kRxSlot, kRxSlot};
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_control = cmsgs[i].buf;
    msgs[i].msg_hdr.msg_controllen = sizeof cmsgs[i].buf;
  }
  int n = ::recvmmsg(sock.fd(), msgs.data(), kRxBatch, MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
      log::warn("receiving on {} failed: {}", sock.local().to_string(), std::strerror(errno));
    return 0;
  }
  for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
    auto src = net::Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&from[i]), msgs[i].msg_hdr.msg_namelen);
    // A datagram truncated to the slot would be a corrupt frame: the flag says so.
    if (!src || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
      unattributed_.drop(Drop::kTruncated);
      continue;
    }
    // With UDP_GRO one receive may hold several datagrams of `size` bytes
    // (the last shorter), all from this source.
    std::size_t len = msgs[i].msg_len, size = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int v = 0;
        std::memcpy(&v, CMSG_DATA(c), sizeof v);
        size = v > 0 ? static_cast<std::size_t>(v) : 0;
      }
    }
    if (size == 0 || size > len) size = len;
    if (size < len) ++stats_.gro_receives;
    const net::Endpoint peer = src->unmapped();
    // The tunnel is found by the address its packets come from (docs/protocol.md 6.6).
    Tunnel* t = owner_.accepting(peer);
    auto* base = static_cast<std::uint8_t*>(iovs[i].iov_base);
    // The coalescer keeps views into this round's slots until the flush
    // after the last round.
    for (std::size_t off = 0; off < len; off += size) deliver(t, {base + off, std::min(size, len - off)}, peer, sock);
  }
  return static_cast<std::size_t>(n);
}

void UserspaceDataplane::deliver(Tunnel* t, std::span<std::uint8_t> datagram, const net::Endpoint& from,
                                 UdpSocket& sock) {
  Counters& counters = t ? t->counters : unattributed_;
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
      owner_.on_control(nullptr, pkt.vni, pkt.payload, from, sock);
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
  if (pkt.payload.size() < net::kEthernetHeaderLen) {
    counters.drop(Drop::kRuntFrame);
    return;
  }
  counters.last_rx = std::chrono::steady_clock::now();
  if (geneve::is_control_frame(pkt.payload)) {
    owner_.on_control(t, pkt.vni, pkt.payload, from, sock);
    return;
  }
  // On a shared interface the client may speak only for its own prefixes.
  if (t->allowed && !t->allowed->source_allowed(pkt.payload, t)) {
    counters.drop(Drop::kSourceNotAllowed);
    return;
  }
  // The payload is a view into `datagram`, which is ours to modify.
  std::span<std::uint8_t> inner(datagram.data() + (pkt.payload.data() - datagram.data()), pkt.payload.size());
  // Over IPv6 the outer UDP checksum is mandatory and the kernel verified
  // it; over IPv4 it may be zero, so there only a frame whose own checksum
  // verifies is trusted (docs/architecture.md, "Checksums on receive").
  bool trusted = sock.local().address.is_v6() || offload::l4_checksum_valid(inner);
  write_to_tap(*t, inner, trusted);
}

void UserspaceDataplane::write_to_tap(Tunnel& t, std::span<std::uint8_t> frame, bool trusted) {
  if (t.tap->offloads().vnet_header && trusted) {
    if (rx_tunnel_ != &t) flush_coalesced();
    bool taken = coalescer_.add(frame, t.mtu);
    if (!taken && !coalescer_.empty()) {
      flush_coalesced();
      taken = coalescer_.add(frame, t.mtu);
    }
    if (taken) {
      rx_tunnel_ = &t;
      rx_pending_bytes_ += frame.size();
      return;
    }
  }
  // Not a TCP segment that can be merged (or not trusted): on its own.
  flush_coalesced();
  std::array<std::uint8_t, offload::kVnetHeaderLen> vnet{};
  offload::VnetHeader vh;
  // Without a virtio-net header the frame must go as it came: the inner
  // stack verifies its checksum itself.
  if (t.tap->offloads().vnet_header && trusted && offload::make_partial(frame, vh, t.mtu))
    offload::write_vnet(vh, vnet);
  if (!t.tap->write_frame(frame, vnet)) {
    t.counters.drop(Drop::kTapWriteError);
    return;
  }
  ++t.counters.rx_packets;
  t.counters.rx_bytes += frame.size();
}

void UserspaceDataplane::flush_coalesced() {
  if (coalescer_.empty()) return;
  const std::size_t segs = coalescer_.segments();
  auto out = coalescer_.flush();
  if (rx_tunnel_->tap->write_pieces(out)) {
    rx_tunnel_->counters.rx_packets += segs;
    rx_tunnel_->counters.rx_bytes += rx_pending_bytes_;
    if (segs > 1) ++stats_.coalesced_writes;
  } else {
    rx_tunnel_->counters.drops[static_cast<std::size_t>(Drop::kTapWriteError)] += segs;
  }
  rx_pending_bytes_ = 0;
}

}  // namespace gn::dataplane
