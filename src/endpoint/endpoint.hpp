#pragma once
// One running endpoint process: its UDP sockets, one peer (or, for a server,
// many), each with its interface (a TAP or a kernel GENEVE device), a path
// selector and a replay window, the status socket and the event loop.
// Construction sets everything up or throws, leaving nothing behind (every
// resource is an RAII member); destruction removes everything it created.
//
// Data flow (docs/architecture.md): TAP -> UserspaceDataplane -> UDP for
// frames; UDP -> UserspaceDataplane -> PeerTable (by outer source) -> TAP,
// with control messages handed up through the data plane's one Owner
// interface to on_control() (endpoint_control.cpp), which verifies them and
// feeds the peer's PathSelector; the selector's choice is applied to the
// peer's Tunnel (where data goes) and to the PeerTable (what is accepted).
//
// The pieces, one job each: underlay.* (PATH and MTU), sockets.* (UDP
// sockets), peer_device.* (the interface and the kernel-or-userspace
// choice), peer_table.* (lookups), endpoint_control.cpp (the control
// protocol), endpoint_status.cpp (the status document); this file ties them
// together and runs the timers.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config/cli.hpp"
#include "control/control_socket.hpp"
#include "control/message.hpp"
#include "dataplane/counters.hpp"
#include "dataplane/userspace.hpp"
#include "endpoint/peer.hpp"
#include "endpoint/peer_table.hpp"
#include "endpoint/sockets.hpp"
#include "endpoint/underlay.hpp"
#include "util/deadline_queue.hpp"
#include "util/event_loop.hpp"

namespace gn::endpoint {

class TunnelEndpoint : private dataplane::UserspaceDataplane::Owner {
 public:
  explicit TunnelEndpoint(config::EndpointConfig cfg);
  ~TunnelEndpoint();
  // Runs until SIGINT or SIGTERM (blocked first with block_exit_signals).
  void run();
  // The status document (docs/operations.md), whole.
  nlohmann::json status() const;
  // The same, dump(2) and a newline, in pieces for the status socket.
  control::StatusServer::Pieces status_pieces() const;
  const std::string& name() const { return name_; }

 private:
  using Clock = std::chrono::steady_clock;

  // The data plane's upcalls.
  dataplane::Tunnel* accepting(const net::Endpoint& from) override;
  void on_control(dataplane::Tunnel* tunnel, std::uint32_t vni, std::span<const std::uint8_t> frame,
                  const net::Endpoint& from, dataplane::UdpSocket& socket) override;

  void add_peer(const config::PeerSpec& spec, const std::optional<control::Key>& key);
  // The interface for a new peer: the kernel's if it can be had (and
  // sets dataplane_reason_), else a TAP.
  PeerDevice make_device(const config::PeerSpec& spec);
  // The kernel data plane for `spec`, or nullptr (and why not in
  // dataplane_reason_). Throws UsageError if --dataplane kernel cannot be had.
  std::unique_ptr<dataplane::KernelDataplane> try_kernel(const config::PeerSpec& spec, const net::Endpoint& peer);
  void watch_kernel_control(Peer& peer);
  // A server's one kernel device, or nullptr (and why not in
  // dataplane_reason_). Throws UsageError if --dataplane kernel cannot be had.
  std::unique_ptr<dataplane::KernelServer> try_kernel_server(const std::string& ifname,
                                                             const std::vector<std::string>& addresses,
                                                             std::size_t clients, bool point_to_point);
  void watch_kernel_server(dataplane::KernelServer& server);
  const std::string& shared_ifname() const;
  // The control protocol (endpoint_control.cpp).
  void handle_control(Peer* peer, std::uint32_t vni, std::span<const std::uint8_t> frame, const net::Endpoint& from);
  // False (counted as send_error) if the message could not be sent or queued.
  bool send_message(Peer& peer, control::Message m, const net::Endpoint& to, bool route_option);
  void send_probe(Peer& peer, const control::ProbeOut& p);
  // Applies the peer's chosen path: where its data goes, what is accepted.
  void apply_path(Peer& peer);
  void program_kernel_server(dataplane::KernelServer& server, const Peer& peer, const control::Candidate* chosen);
  void discover_prefixes();
  void maybe_reresolve(Peer& peer);
  void retarget_kernel_device(Peer& peer, const net::Endpoint& path);
  void check_silence(Peer& peer, Clock::time_point now) const;
  // Does what is due for the peers whose deadline has come (and for no
  // other peer), and returns the earliest deadline left.
  Clock::time_point on_timer();
  // When the peer next has something to do: its PathSelector's deadline,
  // or sooner while data flows (the silence check).
  Clock::time_point next_deadline(const Peer& peer, Clock::time_point now) const;
  void drop(Peer* peer, dataplane::Drop d);
  // Status (endpoint_status.cpp).
  nlohmann::json offload_status() const;
  nlohmann::json peer_status(const Peer& p, Clock::time_point now) const;
  // Everything but the peers ("peers" is an empty array).
  nlohmann::json status_head(Clock::time_point now) const;

  config::EndpointConfig cfg_;
  // Before everything watched in it: destroyed last.
  EventLoop loop_;
  std::string name_;
  Underlay underlay_;
  std::string dataplane_reason_;
  std::optional<EndpointSockets> sockets_;
  // A server's one interface for all clients, and which client owns which
  // inner prefix on it (config "interface", "allowed_ips").
  std::optional<dataplane::TapDevice> shared_tap_;
  // ... or the kernel device that carries them all (docs/kernel.md).
  std::unique_ptr<dataplane::KernelServer> kernel_server_;
  dataplane::AllowedIps allowed_ips_;
  std::vector<std::unique_ptr<Peer>> peers_;
  PeerTable table_;
  // After the sockets and interfaces its transmit worker uses: the worker
  // is stopped and joined before they close.
  std::unique_ptr<dataplane::UserspaceDataplane> dataplane_;
  std::unique_ptr<control::StatusServer> status_server_;
  control::CounterSource counter_;
  Clock::time_point started_;
  // Each peer's next deadline: a tick touches only the peers due, so
  // keepalives staggered over 10,000 peers cost O(log N) each, not O(N).
  DeadlineQueue<Peer*> deadlines_;
  // The kernel server's filter counters, read once per status request
  // (status_head) for every peer of it.
  mutable dataplane::KernelServer::Counters kernel_counters_;
  // Control drops no peer can be charged with (unknown identity).
  dataplane::Counters unattributed_control_;
};

}  // namespace gn::endpoint
