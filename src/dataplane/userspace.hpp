#pragma once
// The userspace data plane: TAP <-> GENEVE/UDP for any number of tunnels
// sharing the endpoint's UDP sockets (docs/architecture.md, "The userspace
// data plane"). Split by direction over two threads: a transmit worker owns
// the TAP reads and data sends; the main thread (the endpoint's loop) owns
// receive, control messages, timers and status.
//
// Transmit (worker, TAP -> UDP): a TAP with offloads hands over TCP/UDP
// super-frames of up to 64 KiB behind a virtio-net header; each is split
// into MTU-sized inner frames (dataplane/offload.hpp) laid out behind the
// tunnel's prebuilt GENEVE header, and all segments of a super-frame leave in
// one UDP_SEGMENT message; one sendmmsg carries a batch of such messages.
// Sockets are non-blocking: when one is full the unsent rest of the batch is
// kept, every TAP stops being read (the TAP queue pushes back on the inner
// stack) and the worker waits for EPOLLOUT; the main loop is never held.
//
// Receive (main thread, UDP -> TAP): recvmmsg with UDP_GRO returns batches
// of datagrams of one size from one source; each is validated exactly as the
// codec rules say (VNI, protocol, routing option), matched to a tunnel by its
// outer source, and consecutive in-order TCP segments of one flow are
// coalesced into one super-frame written with a GSO virtio-net header.
// Control messages go to the endpoint's handler, also from sources no tunnel
// accepts yet (that is how a path is learned); control messages we send wait
// in a queue of their own when the socket is full.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include "dataplane/allowed_ips.hpp"
#include "dataplane/counters.hpp"
#include "dataplane/offload.hpp"
#include "dataplane/tap.hpp"
#include "dataplane/udp.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "util/event_loop.hpp"

namespace gn::dataplane {

// Where a tunnel's data goes, as the transmit worker copies it per batch.
struct TxTarget {
  UdpSocket* socket = nullptr;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  std::array<std::uint8_t, geneve::kMaxHeaderLen> header{};
  std::size_t header_len = 0;
  net::Endpoint to;
};

// Transmit counters: written by the transmit worker, read by status.
struct TxCounters {
  std::atomic<std::uint64_t> packets{0}, bytes{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Drop::kCount)> drops{};
  void drop(Drop d, std::uint64_t n = 1) { drops[static_cast<std::size_t>(d)].fetch_add(n, std::memory_order_relaxed); }
};

// One tunnel's data-path state. The main thread (receive, control) owns
// `counters` and sets the target; the transmit worker reads the target
// under the lock, once per batch, and counts in `tx`.
struct Tunnel {
  TapDevice* tap = nullptr;
  // Set when the TAP is shared with other tunnels: frames from this tunnel
  // reach it only with an inner source the tunnel owns (AllowedIps).
  const AllowedIps* allowed = nullptr;
  std::uint32_t vni = 0;
  geneve::OptionId option_id;
  net::IpAddress local_v6;    // ours: a routing option must name it
  std::uint32_t mtu = 65535;  // the TAP's: no frame handed to it is re-segmented larger
  Counters counters;
  TxCounters tx;
  void* owner = nullptr;  // the endpoint's peer

  // Where data goes, set from the chosen path. Without a target, frames from
  // the TAP are dropped as no_path.
  void set_target(UdpSocket& socket, const net::Endpoint& to, const std::optional<geneve::Nat64Route>& route);
  void clear_target();
  // The worker's copy; false when there is no target.
  bool load_target(TxTarget& out) const;
  // `counters` with the transmit side's added in.
  Counters merged_counters() const;

 private:
  mutable std::mutex mu_;
  TxTarget target_;
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
  // The only calls the data plane makes upwards, into the endpoint: whose
  // data a datagram is, and control messages (theirs to verify and act on).
  class Owner {
   public:
    // The tunnel whose data is accepted from `from`, or nullptr.
    virtual Tunnel* accepting(const net::Endpoint& from) = 0;
    // A control message (inner frame) from `from`, received on `socket`;
    // `tunnel` is null when the source is not one any tunnel accepts data
    // from (how a server learns a client's path). `vni` is the GENEVE
    // header's.
    virtual void on_control(Tunnel* tunnel, std::uint32_t vni, std::span<const std::uint8_t> frame,
                            const net::Endpoint& from, UdpSocket& socket) = 0;

   protected:
    ~Owner() = default;
  };

  // Datagrams per recvmmsg; each slot holds a whole GRO batch (64 KiB).
  static constexpr std::size_t kRxBatch = 16;
  static constexpr std::size_t kRxSlot = 65536;
  // recvmmsg rounds per wakeup while the socket keeps them full. Each round
  // has slots of its own: the coalescer keeps views into them until the
  // flush after the last round.
  static constexpr std::size_t kRxRounds = 4;
  // Frames read from one TAP per wakeup, at most.
  static constexpr std::size_t kTapBatch = 64;

  // `owner` outlives the data plane.
  UserspaceDataplane(EventLoop& loop, Owner& owner);
  ~UserspaceDataplane();
  UserspaceDataplane(const UserspaceDataplane&) = delete;
  UserspaceDataplane& operator=(const UserspaceDataplane&) = delete;

  // Registers a tunnel with a TAP of its own (which must outlive the data
  // plane) with the transmit worker; only before start().
  void add_tunnel(Tunnel& t);
  // Registers a TAP shared by the tunnels of `routes` (both outlive the
  // data plane): its frames go to the tunnel owning their inner
  // destination. The tunnels themselves are not added. Only before start().
  void add_shared_interface(TapDevice& tap, const AllowedIps& routes);
  // Starts receiving on the socket (in the main loop).
  void add_socket(UdpSocket& sock, const char* what);
  // Starts the transmit worker thread; the destructor stops and joins it.
  void start();
  // Whether the kernel refused UDP_SEGMENT on this socket (and the worker
  // now sends datagram by datagram).
  bool gso_refused(const UdpSocket& sock) const;

  // Sends one control frame with `header` in front, or queues it ahead of
  // all data while the socket is full. False if it was dropped (counted).
  bool send_control(UdpSocket& sock, const net::Endpoint& to, std::span<const std::uint8_t> header,
                    std::span<const std::uint8_t> frame);

  // Drops of datagrams no tunnel accepts.
  const Counters& unattributed() const { return unattributed_; }
  // Drops of frames read from a shared interface that no tunnel owns.
  const TxCounters& shared_interface_drops() const { return shared_tx_; }
  DataplaneStats stats() const;

 private:
  // One sendmmsg entry: `segs` datagrams of `gso` bytes (the last shorter),
  // or one datagram when segs == 1, gathered from 2 * segs pieces at `iov`
  // in tx_iovs_ (each datagram: its headers, then its payload in the frame
  // as read from the TAP).
  struct TxMessage {
    std::uint32_t iov = 0, len = 0;
    std::uint16_t gso = 0, segs = 1;
    std::uint32_t inner_bytes = 0;
    std::uint32_t target = 0;  // index into batch_targets_
  };
  // A TAP the worker reads: a tunnel's own, or one shared by the tunnels
  // of `routes`.
  struct TxSource {
    TapDevice* tap = nullptr;
    Tunnel* tunnel = nullptr;
    const AllowedIps* routes = nullptr;
  };
  // Where the frames of one tunnel in the batch go (its target, copied once
  // per batch) and whether that socket segments.
  struct BatchTarget {
    Tunnel* tunnel = nullptr;
    TxTarget target;
    bool gso = false;
  };
  struct QueuedControl {
    UdpSocket* socket;
    sockaddr_storage addr;
    socklen_t addr_len;
    std::vector<std::uint8_t> bytes;
  };

  // Transmit worker.
  void on_tap_readable(TxSource& source);
  void watch_tap(TxSource source);
  // The batch target of `t`, or nullptr if it has nowhere to send.
  BatchTarget* batch_target(Tunnel& t, std::uint32_t& index);
  void on_tx_writable(UdpSocket& sock);
  // Main thread.
  void on_udp_readable(UdpSocket& sock);
  // One recvmmsg into round `round`'s slots and the delivery of what it
  // got; returns datagrams read.
  std::size_t receive_batch(UdpSocket& sock, std::size_t round);
  void on_control_writable(UdpSocket& sock);
  // Sends the batch from tx_next_; the socket that filled first, or
  // nullptr when all of it went.
  UdpSocket* send_batch();
  void split_gso_messages();
  // Reads up to kTapBatch frames of one TAP into the arena and plans their
  // segments as messages.
  void read_tap_batch(TxSource& source);
  void block_on(UdpSocket& sock);
  bool flush_control(UdpSocket& sock);
  void deliver(Tunnel* t, std::span<std::uint8_t> datagram, const net::Endpoint& from, UdpSocket& sock);
  void write_to_tap(Tunnel& t, std::span<std::uint8_t> frame, bool trusted);
  void flush_coalesced();

  EventLoop& loop_;  // the main thread's: receive, control
  Owner& owner_;
  Counters unattributed_;
  DataplaneStats stats_;  // the main thread's fields
  std::atomic<std::uint64_t> tx_blocked_{0}, gso_sends_{0};
  std::deque<TxSource> sources_;  // stable: the watch callbacks hold them
  TxCounters shared_tx_;          // frames of shared interfaces no tunnel owns
  // Sockets the kernel refused UDP_SEGMENT on: written by the worker, read
  // by it once per batch and by status; guarded by gso_mu_.
  std::vector<const UdpSocket*> gso_off_list_;
  mutable std::mutex gso_mu_;

  // Transmit worker: its own loop over the TAPs, the arena the batch's
  // frames are read into (each followed by its segments' headers), and the
  // batch of messages gathering from the arena. Left uninitialised: pages
  // are touched only as large frames use them.
  EventLoop tx_loop_{EventLoop::ExitSignals::kIgnore};
  std::vector<BatchTarget> batch_targets_;
  std::unique_ptr<std::uint8_t[]> arena_;
  std::size_t arena_used_ = 0;
  std::vector<TxMessage> tx_msgs_;
  std::vector<iovec> tx_iovs_;
  std::size_t tx_segments_ = 0;   // in the batch
  std::size_t tx_next_ = 0;       // first unsent message
  UdpSocket* blocked_ = nullptr;  // the full socket the batch waits for
  // TAPs that woke while blocked_ and stopped being read: only these are
  // read again when the socket drains (never a walk over every TAP).
  std::vector<int> paused_;

  // Main thread: control messages waiting for room.
  std::deque<QueuedControl> control_queue_;

  // Receive.
  std::unique_ptr<std::uint8_t[]> rx_buf_;  // kRxRounds * kRxBatch slots
  offload::TcpCoalescer coalescer_;
  Tunnel* rx_tunnel_ = nullptr;  // whose segments the coalescer holds
  std::uint64_t rx_pending_bytes_ = 0;

  std::jthread worker_;  // last: stopped and joined first
};

}  // namespace gn::dataplane
