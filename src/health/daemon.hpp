#pragma once
// geneve-nat64-health's process: a probe socket and a PrefixHealth per
// prefix, one event loop, the fragment rewritten (and named reloaded) when
// the listed prefixes change, the status socket.
#include <memory>
#include <string>
#include <vector>

#include "control/control_socket.hpp"
#include "health/config.hpp"
#include "health/prefix_health.hpp"
#include "health/probe_socket.hpp"
#include "util/event_loop.hpp"

namespace gn::health {

class HealthDaemon {
 public:
  // Opens the probe sockets (SystemError when it cannot) and, unless
  // config.once, the status socket (UsageError when another instance of
  // this namespace holds it).
  explicit HealthDaemon(HealthConfig config);

  // Probes until SIGINT/SIGTERM; 0.
  int run();
  // --once: probes until every prefix is decided (or the bound), updates
  // the fragment, returns 0 if a prefix is alive, 1 if none.
  int run_once();

  std::string status_json() const;

 private:
  struct Prefix {
    net::Nat64Prefix prefix;
    net::IpAddress address;  // the target inside the prefix
    PrefixHealth health;
    ProbeSocket socket;
    std::uint16_t seq = 0;
  };

  Clock::time_point on_timer();
  void on_readable(Prefix& p);
  void changed(const Prefix& p);
  void update_fragment();

  HealthConfig config_;
  EventLoop loop_;
  std::vector<std::unique_ptr<Prefix>> prefixes_;
  std::unique_ptr<control::StatusServer> status_;
  std::string written_;  // the fragment's text as last written (or found)
  std::vector<std::string> listed_;
  bool reload_pending_ = false;
  Clock::time_point next_reload_try_{};
  std::uint64_t writes_ = 0;
  std::uint64_t reloads_ = 0;
  std::uint64_t reload_failures_ = 0;
  std::string last_reload_error_;
  std::string last_write_error_;
  Clock::time_point once_deadline_{};
};

// The status document as text for a person (geneve-nat64-health status).
std::string render_status(const std::string& json_text);

}  // namespace gn::health
