#pragma once
// One running tunnel endpoint: owns its sockets, its TAP interface, its
// status socket and its event loop. Construction sets everything up or
// throws, leaving nothing behind (every resource is an RAII member);
// destruction removes everything it created.
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "config/cli.hpp"
#include "control/control_socket.hpp"
#include "dataplane/tap.hpp"
#include "dataplane/udp.hpp"
#include "dataplane/userspace.hpp"
#include "util/event_loop.hpp"

namespace gn::endpoint {

class TunnelEndpoint {
 public:
  explicit TunnelEndpoint(const config::EndpointConfig& cfg);
  // Runs until SIGINT or SIGTERM (blocked first with block_exit_signals).
  void run();
  nlohmann::json status() const;
  const std::string& ifname() const { return tap_->name(); }

 private:
  config::EndpointConfig cfg_;
  std::uint32_t underlay_mtu_ = 0;
  std::uint32_t mtu_ = 0;
  std::string dataplane_reason_;
  std::optional<dataplane::UdpSocket> listen_;
  std::optional<dataplane::UdpSocket> sender_;  // only when --source-port differs
  std::optional<dataplane::TapDevice> tap_;
  std::unique_ptr<dataplane::UserspaceDataplane> dataplane_;
  std::unique_ptr<control::StatusServer> status_server_;
  EventLoop loop_;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace gn::endpoint
