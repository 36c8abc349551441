#pragma once
// Path choice for one peer (docs/protocol.md 6.5, 6.6): the candidates a
// peer can be reached on, their liveness from probes and replies, learning a
// path from the peer's probes (server role) and choosing the one data goes
// on. Pure: time comes in as an argument, probes go out as return values.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config/mode.hpp"
#include "control/message.hpp"
#include "net/address.hpp"

namespace gn::control {

using Clock = std::chrono::steady_clock;

// Chosen by the command line; defined in config/mode.hpp.
using config::Mode;
using config::Timing;
using config::to_string;

struct Candidate {
  PathKind kind = PathKind::kNone;
  net::Endpoint target;
  bool route_option = false;  // data and control sent on it carry the option

  // Liveness.
  bool answered = false;                     // a reply ever came back
  unsigned misses = 0;                       // consecutive
  std::optional<std::uint64_t> outstanding;  // probe id awaiting a reply
  Clock::time_point sent_at{};
  Clock::time_point next_probe{};
  Clock::time_point last_reply{};
  Clock::time_point last_miss{};  // the last probe that went unanswered
  std::chrono::microseconds rtt{0};
  std::optional<net::Endpoint> observed;  // how the peer sees us on this path
  std::uint64_t probes_sent = 0, replies = 0;

  bool alive(unsigned dead_after) const { return answered && misses < dead_after; }
};

struct ProbeOut {
  PathKind kind;
  net::Endpoint target;
  bool route_option;
  std::uint64_t probe_id;
};

class PathSelector {
 public:
  PathSelector(Mode mode, Timing timing, std::function<std::uint64_t()> random_id);

  // The fixed candidates. Setting one again (PATH re-resolved) resets it.
  void set_direct(const net::Endpoint& target);
  // PATH: one target, or one per NAT64 prefix in order of preference (an
  // IPv4 PATH in each of --nat64-prefix P1,P2). With several, the first
  // that answers probes carries data, in every mode. A target already
  // there keeps what is known of it; the others are dropped.
  void set_nat64(const std::vector<net::Endpoint>& targets, bool route_option);
  void set_nat64(const net::Endpoint& target, bool route_option);

  // Probes due now (keepalives, retries after a miss); records misses.
  std::vector<ProbeOut> poll(Clock::time_point now);
  // When poll() next has something to do.
  Clock::time_point next_deadline() const;

  // A verified reply from `from`. False if it matches no outstanding probe.
  bool on_reply(const net::Endpoint& from, const Message& reply, Clock::time_point now);
  // A verified, fresh probe from `from`: notes what the peer uses and, in
  // the server and auto modes, may start learning `from` (a challenge probe
  // to send at once).
  std::optional<ProbeOut> on_probe(const net::Endpoint& from, const Message& probe, Clock::time_point now);

  // Data went out on the chosen path and nothing came back for a while, or
  // the peer reports using the direct path while we do not (or the other
  // way round): probe the chosen path now instead of at the next keepalive,
  // so a dead path is noticed in reply_timeout * dead_after.
  void suspect(Clock::time_point now);

  // The candidate data goes to now, if any.
  const Candidate* chosen() const;
  PathKind chosen_kind() const;
  // "direct", "symmetric", "client", "server" or "none".
  std::string label() const;
  // Why the current choice was made, for logs and status.
  const std::string& reason() const { return reason_; }
  // Bumped whenever the chosen candidate or its target changes.
  std::uint64_t generation() const { return generation_; }

  // Sources data is accepted from (6.6).
  bool accepts_address(const net::IpAddress& a) const;
  std::optional<net::Endpoint> learned_source() const;

  Mode mode() const { return mode_; }
  const Timing& timing() const { return timing_; }
  // Every candidate for status: direct, each PATH, learned, pending.
  std::vector<const Candidate*> candidates() const;
  PathKind peer_in_use() const { return peer_in_use_; }
  std::uint64_t challenges_limited() const { return challenges_limited_; }

 private:
  Candidate* find_outstanding(const net::Endpoint& from, std::uint64_t id);
  Candidate* chosen_mutable();
  // direct, each PATH, learned: the order auto mode prefers them in.
  std::vector<Candidate*> fixed_and_learned();
  std::string slot_text(const Candidate& c) const;
  void choose_path(std::string& why);
  void note_peer_in_use(PathKind k, Clock::time_point now);
  void choose(Clock::time_point now);
  ProbeOut send_probe(Candidate& c, Clock::time_point now);

  Mode mode_;
  Timing timing_;
  std::function<std::uint64_t()> random_id_;
  std::optional<Candidate> direct_, learned_, pending_;
  std::vector<Candidate> nat64_;  // PATH: one per NAT64 prefix, or one
  PathKind chosen_ = PathKind::kNone;
  std::size_t chosen_nat64_ = 0;  // which PATH, when chosen_ is kNat64
  std::optional<net::Endpoint> chosen_target_;
  std::string reason_ = "no path yet";
  std::uint64_t generation_ = 0;
  PathKind peer_in_use_ = PathKind::kNone;
  // Challenge rate limit: count in the current one-second window.
  Clock::time_point challenge_window_{};
  unsigned challenges_in_window_ = 0;
  std::uint64_t challenges_limited_ = 0;
};

}  // namespace gn::control
