#pragma once
// One running endpoint process: its UDP sockets, one peer (or, for a server,
// many), each with a TAP interface, a path selector and a replay window, the
// status socket and the event loop. Construction sets everything up or
// throws, leaving nothing behind (every resource is an RAII member);
// destruction removes everything it created.
//
// Data flow (docs/architecture.md): TAP -> UserspaceDataplane -> UDP for
// frames; UDP -> UserspaceDataplane -> lookup by outer source -> TAP, with
// control messages diverted to on_control(), which verifies them and feeds
// the peer's PathSelector; the selector's choice is applied to the peer's
// Tunnel (where data goes) and to the lookup tables (what is accepted).
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "config/cli.hpp"
#include "control/control_socket.hpp"
#include "control/message.hpp"
#include "control/path.hpp"
#include "dataplane/kernel.hpp"
#include "dataplane/tap.hpp"
#include "dataplane/udp.hpp"
#include "dataplane/userspace.hpp"
#include "util/event_loop.hpp"

namespace gn::endpoint {

struct Peer;

class TunnelEndpoint {
 public:
  explicit TunnelEndpoint(const config::EndpointConfig& cfg);
  ~TunnelEndpoint();
  // Runs until SIGINT or SIGTERM (blocked first with block_exit_signals).
  void run();
  nlohmann::json status() const;
  nlohmann::json offload_status() const;
  const std::string& name() const { return name_; }

 private:
  struct IdentityKey {
    net::IpAddress remote;
    std::uint32_t vni;
    friend bool operator==(const IdentityKey&, const IdentityKey&) = default;
  };
  struct IdentityHasher {
    net::AddressHasher h;
    std::size_t operator()(const IdentityKey& k) const {
      return h(k.remote) ^ (std::size_t{k.vni} * 0x9e3779b97f4a7c15ULL);
    }
  };

  void add_peer(const config::PeerSpec& spec);
  net::IpAddress resolve_path() const;
  dataplane::UdpSocket& socket_for(net::Family family);
  dataplane::Tunnel* lookup(const net::Endpoint& from);
  void on_control(dataplane::Tunnel* tunnel, std::uint32_t vni, std::span<const std::uint8_t> frame,
                  const net::Endpoint& from);
  // The kernel data plane for this peer, or nullptr (and why not in
  // dataplane_reason_). Throws UsageError if --dataplane kernel cannot be had.
  std::unique_ptr<dataplane::KernelDataplane> try_kernel(const config::PeerSpec& spec, const net::Endpoint& peer);
  std::string kernel_unsuitable_reason() const;
  void watch_kernel_control(Peer& peer);
  // False (counted as send_error) if the message could not be sent or queued.
  bool send_message(Peer& peer, control::Message m, const net::Endpoint& to, bool route_option);
  void send_probe(Peer& peer, const control::ProbeOut& p);
  void apply_path(Peer& peer);
  void maybe_reresolve(Peer& peer);
  void check_silence(Peer& peer, std::chrono::steady_clock::time_point now);
  std::chrono::steady_clock::time_point on_timer();
  void drop(Peer* peer, dataplane::Drop d);

  config::EndpointConfig cfg_;
  // PATH was given as a host name (else cfg_.path holds the address).
  bool path_is_host_name_;
  std::string name_;
  std::uint32_t underlay_mtu_ = 0;
  std::uint32_t mtu_ = 0;
  std::string dataplane_reason_;
  std::optional<net::Endpoint> direct_target_;
  std::optional<net::Endpoint> nat64_target_;
  // Sockets by family, bound when first needed: `send` at the source port,
  // `listen` at --port when that differs.
  std::optional<dataplane::UdpSocket> send4_, send6_, listen4_, listen6_;
  std::vector<std::unique_ptr<Peer>> peers_;
  std::unordered_map<IdentityKey, Peer*, IdentityHasher> by_identity_;
  std::unordered_map<net::IpAddress, Peer*, net::AddressHasher> by_address_;
  std::unordered_map<net::Endpoint, Peer*, net::AddressHasher> by_endpoint_;
  std::unique_ptr<dataplane::UserspaceDataplane> dataplane_;
  std::unique_ptr<control::StatusServer> status_server_;
  control::CounterSource counter_;
  EventLoop loop_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point next_timer_{};
  // Control drops no peer can be charged with (unknown identity).
  dataplane::Counters unattributed_control_;
};

}  // namespace gn::endpoint
