#pragma once
// One peer of an endpoint: its interface, where its data goes and what it
// is accepted from, its path state and its control-message state.
#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "config/cli.hpp"
#include "control/message.hpp"
#include "control/path.hpp"
#include "dataplane/userspace.hpp"
#include "endpoint/peer_device.hpp"

namespace gn::endpoint {

struct Peer {
  using Clock = std::chrono::steady_clock;
  Peer(config::PeerSpec s, PeerDevice d, control::Mode mode, control::Timing timing)
      : spec(std::move(s)), device(std::move(d)), paths(mode, timing, control::random_probe_id) {}

  const std::string& ifname() const { return device.ifname(); }

  config::PeerSpec spec;
  std::optional<control::Key> key;
  PeerDevice device;
  std::string dataplane_reason;  // why `device` is on the data plane it is on
  // The source of control frames we send: the TAP's MAC (the kernel device
  // puts its own on them anyway).
  std::array<std::uint8_t, 6> mac{};
  dataplane::Tunnel tunnel;
  control::PathSelector paths;
  control::ReplayWindow replay;
  // What this peer holds in the lookup tables (PeerTable).
  std::vector<net::IpAddress> accepted_addresses;
  std::optional<net::Endpoint> accepted_endpoint;
  std::uint64_t applied_generation = ~std::uint64_t{0};
  Clock::time_point last_handshake{};  // last verified control message from the peer
  Clock::time_point last_resolve{};
  std::uint64_t probes_rx = 0, replies_rx = 0, probes_tx = 0, replies_tx = 0;
  std::optional<net::Endpoint> observed;  // how the peer last saw us
  // Data sent without anything coming back makes the path suspect.
  std::uint64_t tx_seen = 0;
  std::uint64_t kernel_rx_seen = 0;  // the kernel interface's rx_packets when last looked at
  Clock::time_point last_tx_change{};
};

}  // namespace gn::endpoint
