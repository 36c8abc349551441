#pragma once
// The userspace data plane: TAP <-> GENEVE/UDP for any number of tunnels
// sharing the endpoint's UDP sockets (docs/architecture.md, "The userspace
// data plane").
//
// Transmit (TAP -> UDP): a TAP with offloads hands over TCP/UDP
// super-frames of up to 64 KiB behind a virtio-net header; each is split
// into MTU-sized inner frames (dataplane/offload.hpp) laid out behind the
// tunnel's prebuilt GENEVE header, and all segments of a super-frame leave in
// one UDP_SEGMENT message; one sendmmsg carries a batch of such messages.
// Sockets are non-blocking: when one is full the unsent rest of the batch is
// kept, every TAP stops being read (the TAP queue pushes back on the inner
// stack) and the loop waits for EPOLLOUT. Control messages never wait behind
// data: they go first when the socket drains.
//
// Receive (UDP -> TAP): recvmmsg with UDP_GRO returns batches of datagrams
// of one size from one source; each is validated exactly as the codec rules
// say (VNI, protocol, routing option), matched to a tunnel by its outer
// source, and consecutive in-order TCP segments of one flow are coalesced
// into one super-frame written with a GSO virtio-net header. Control
// messages go to the endpoint's handler, also from sources no tunnel accepts
// yet (that is how a path is learned).
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <sys/socket.h>

#include "control/status.hpp"
#include "dataplane/offload.hpp"
#include "dataplane/tap.hpp"
#include "dataplane/udp.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "util/event_loop.hpp"

namespace gn::dataplane {

// One tunnel's data-path state.
struct Tunnel {
  TapDevice* tap = nullptr;
  std::uint32_t vni = 0;
  geneve::OptionId option_id;
  net::IpAddress local_v6;    // ours: a routing option must name it
  std::uint32_t mtu = 65535;  // the TAP's: no frame handed to it is re-segmented larger
  control::Counters counters;
  void* owner = nullptr;  // the endpoint's peer

  // Where data goes, set from the chosen path. Without a target, frames from
  // the TAP are dropped as no_path.
  void set_target(UdpSocket& socket, const net::Endpoint& to, const std::optional<geneve::Nat64Route>& route);
  void clear_target() { socket = nullptr; }
  bool has_target() const { return socket != nullptr; }
  const net::Endpoint& target() const { return target_; }

  UdpSocket* socket = nullptr;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  geneve::HeaderBuilder header{0};

 private:
  net::Endpoint target_;
};

// How the data plane has fared, for status.
struct DataplaneStats {
  std::uint64_t tx_blocked = 0;        // times a full socket stopped the TAPs
  std::uint64_t gso_sends = 0;         // UDP_SEGMENT messages sent
  std::uint64_t gro_receives = 0;      // received datagrams that held more than one
  std::uint64_t coalesced_writes = 0;  // TAP writes of more than one segment
  std::uint64_t control_queued = 0;    // control messages that waited for room
};

class UserspaceDataplane {
 public:
  // Datagrams per recvmmsg; each slot holds a whole GRO batch (64 KiB).
  static constexpr std::size_t kRxBatch = 16;
  static constexpr std::size_t kRxSlot = 65536;
  // Frames read from one TAP per wakeup, at most.
  static constexpr std::size_t kTapBatch = 64;

  // The tunnel whose data is accepted from `from`, or nullptr.
  using Lookup = std::function<Tunnel*(const net::Endpoint& from)>;
  // A control message (inner frame) from `from`, received on `socket`;
  // `tunnel` is null when the source is not one any tunnel accepts data
  // from. `vni` is the GENEVE header's.
  using ControlHandler = std::function<void(Tunnel* tunnel, std::uint32_t vni, std::span<const std::uint8_t> frame,
                                            const net::Endpoint& from, UdpSocket& socket)>;

  UserspaceDataplane(EventLoop& loop, Lookup lookup, ControlHandler on_control);
  ~UserspaceDataplane();
  UserspaceDataplane(const UserspaceDataplane&) = delete;
  UserspaceDataplane& operator=(const UserspaceDataplane&) = delete;

  // Starts reading the tunnel's TAP (which must outlive the data plane's use
  // of it) and the socket.
  void add_tunnel(Tunnel& t);
  void add_socket(UdpSocket& sock, const char* what);

  // Sends one control frame with `header` in front, or queues it ahead of
  // all data while the socket is full. False if it was dropped (counted).
  bool send_control(UdpSocket& sock, const net::Endpoint& to, std::span<const std::uint8_t> header,
                    std::span<const std::uint8_t> frame);

  // Drops of datagrams no tunnel accepts.
  const control::Counters& unattributed() const { return unattributed_; }
  const DataplaneStats& stats() const { return stats_; }

 private:
  // One sendmmsg entry: `segs` datagrams of `gso` bytes (the last shorter)
  // at `off` in the arena, or one datagram when segs == 1.
  struct TxMessage {
    std::uint32_t off = 0, len = 0;
    std::uint16_t gso = 0, segs = 1;
    std::uint32_t inner_bytes = 0;
  };
  struct QueuedControl {
    UdpSocket* socket;
    sockaddr_storage addr;
    socklen_t addr_len;
    std::vector<std::uint8_t> bytes;
  };

  void on_tap_readable(Tunnel& t);
  void on_udp_readable(UdpSocket& sock);
  void on_writable(UdpSocket& sock);
  // Sends the batch from tx_next_; false if the socket filled first.
  bool send_batch();
  void split_gso_messages();
  void block_on(UdpSocket& sock);
  bool flush_control(UdpSocket& sock);
  void deliver(Tunnel* t, std::span<std::uint8_t> datagram, const net::Endpoint& from, UdpSocket& sock);
  void write_to_tap(Tunnel& t, std::span<std::uint8_t> frame, bool trusted);
  void flush_coalesced();

  EventLoop& loop_;
  Lookup lookup_;
  ControlHandler on_control_;
  control::Counters unattributed_;
  DataplaneStats stats_;
  std::vector<Tunnel*> tunnels_;

  // Transmit: one frame read from a TAP, the arena its segments are laid
  // out in, and the batch of messages over the arena. Left uninitialised:
  // pages are touched only as large frames use them.
  std::unique_ptr<std::uint8_t[]> tap_in_;
  std::unique_ptr<std::uint8_t[]> arena_;
  std::size_t arena_used_ = 0;
  std::vector<TxMessage> tx_msgs_;
  std::size_t tx_segments_ = 0;  // in the batch
  std::size_t tx_next_ = 0;      // first unsent message
  Tunnel* tx_tunnel_ = nullptr;  // whose batch it is
  sockaddr_storage tx_addr_{};
  socklen_t tx_addr_len_ = 0;
  UdpSocket* blocked_ = nullptr;  // the full socket the batch waits for
  std::deque<QueuedControl> control_queue_;

  // Receive.
  std::unique_ptr<std::uint8_t[]> rx_buf_;
  std::unique_ptr<std::uint8_t[]> coalesce_buf_;
  offload::TcpCoalescer coalescer_;
  Tunnel* rx_tunnel_ = nullptr;  // whose segments the coalescer holds
  std::uint64_t rx_pending_bytes_ = 0;
};

}  // namespace gn::dataplane
