#pragma once
// The gateway's side of the NAT64 bypass (docs/protocol.md 8.4-8.7): per
// IPv4 server, whether it accepted a tunnel, its tunnel MAC, when it was
// last heard from and last offered one. Per server, never per connection:
// bypassed traffic leaves no state, so a gateway restart loses none. Pure
// (callers pass `now`); bounded by max_servers.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "bypass/derive.hpp"
#include "nat64/rate_limit.hpp"
#include "nat64/state.hpp"

namespace gn::nat64 {

struct BypassLimits {
  std::size_t max_servers = 65536;
  // At most one unanswered offer per server this often.
  std::chrono::seconds offer_interval{60};
  // Offers per second, all servers together (and the burst).
  double offer_rate = 100;
  // A server is accepted while heard from within this (three keepalives).
  std::chrono::seconds alive{30};
};

class BypassServers {
 public:
  enum class Decision : std::uint8_t {
    kTranslate,    // not accepted; an offer is not due
    kOffer,        // not accepted; send an offer now, and translate
    kRateLimited,  // an offer was due but the global rate refused it: translate
    kTableFull,    // a new server, but max_servers are tracked: translate
    kBypass,       // accepted: encapsulate to the server
  };

  explicit BypassServers(const BypassLimits& limits);

  // For an IPv6 packet to `server`'s mapped address that has no NAT64 session.
  Decision on_client_packet(std::uint32_t server, TimePoint now);
  // A valid acceptance or keepalive (8.5). True when the server was not
  // accepted before (the gateway logs it).
  bool accept(std::uint32_t server, const bypass::Mac& server_mac, TimePoint now);
  // A leave (8.5) or a revocation (8.6). True when it was accepted.
  // Not offered again before the offer interval.
  bool forget(std::uint32_t server, TimePoint now);

  // The tunnel MAC of an accepted, live server.
  std::optional<bypass::Mac> server_mac(std::uint32_t server, TimePoint now) const;
  // Drops servers that are neither live nor waiting out an offer interval,
  // and idle rate-limit state (call about once a second).
  void expire(TimePoint now);

  struct Accepted {
    std::uint32_t server;
    bypass::Mac mac;
    TimePoint last_heard;
  };
  std::vector<Accepted> accepted(TimePoint now) const;
  std::size_t tracked() const { return servers_.size(); }

 private:
  struct Entry {
    bool accepted = false;
    bool offered = false;
    bypass::Mac mac{};
    TimePoint last_heard{};
    TimePoint last_offer{};
  };
  bool live(const Entry& e, TimePoint now) const { return e.accepted && now - e.last_heard < limits_.alive; }

  BypassLimits limits_;
  std::unordered_map<std::uint32_t, Entry> servers_;
  RateLimiter offers_;  // one bucket, key 0
};

}  // namespace gn::nat64
