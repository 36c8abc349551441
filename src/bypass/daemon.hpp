#pragma once
// geneve-bypass's I/O around bypass::Server: the UDP socket on the GENEVE
// port, the TUN device where the host's services meet the IPv6 clients,
// the addresses and policy rules that route their replies back into it,
// the state directory, the connection log and the status socket. One
// thread, one event loop.
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bypass/daemon_config.hpp"
#include "bypass/server.hpp"
#include "control/control_socket.hpp"
#include "dataplane/tap.hpp"
#include "netlink/mnl.hpp"
#include "netlink/route.hpp"
#include "util/event_loop.hpp"
#include "util/fd.hpp"

namespace gn::bypass {

class Daemon {
 public:
  // Creates everything (throws with what failed, having removed what it
  // made): status socket first, so a second daemon for the same TUN name
  // stops before touching anything.
  explicit Daemon(const DaemonConfig& config);
  // Runs until SIGINT/SIGTERM, then sends each gateway a leave.
  void run();

 private:
  void on_socket_readable();
  void on_tun_readable();
  Clock::time_point on_timer();
  void send(const Datagram& d);
  void serve_gateway(const GatewayInfo& g, const std::string& offer_message);
  void log_flows();
  void connection_log(const std::string& event);
  void restore_state();
  void save_state() const;
  std::string status_json() const;

  DaemonConfig config_;
  EventLoop loop_;
  std::unique_ptr<control::StatusServer> status_;
  Server server_;
  Fd socket_;
  Fd log_file_;
  std::optional<dataplane::TapDevice> tun_;
  netlink::MnlSocket nl_;
  // After nl_: deleted (destroyed) before the socket they use closes.
  std::vector<netlink::PolicyRule> rules_;
  std::set<Ipv6> addresses_;
  std::vector<std::uint8_t> buf_;
  Clock::time_point started_;
  std::uint64_t send_errors_ = 0;
};

}  // namespace gn::bypass
