#pragma once
// The health of one NAT64 prefix as its probes see it: a state machine fed
// with "probe sent", "reply", "failed" and the time, nothing else (no
// sockets, no clock of its own), so that every transition is unit-tested
// with made-up times.
//
// One probe is outstanding at a time (the timeout is at most the interval):
// a reply to an older probe is late and counts for nothing. A prefix starts
// kUnknown, becomes kAlive after `rise` answered probes in a row and kDead
// after `fall` lost ones in a row; between, it keeps its state (a single
// loss does not withdraw a prefix, a single answer does not bring a dead one
// back).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace gn::health {

using Clock = std::chrono::steady_clock;

enum class Health : std::uint8_t { kUnknown, kAlive, kDead };
const char* health_name(Health h);

struct HealthPolicy {
  std::uint32_t rise = 2;                    // answered probes in a row: alive
  std::uint32_t fall = 3;                    // lost probes in a row: dead
  std::chrono::milliseconds interval{1000};  // between probes
  std::chrono::milliseconds timeout{1000};   // a probe unanswered this long is lost (<= interval)
};

struct Failure {
  Clock::time_point at;
  std::string reason;  // "timeout", or the error a send or an ICMPv6 error gave
};

class PrefixHealth {
 public:
  explicit PrefixHealth(const HealthPolicy& policy) : policy_(policy) {}

  // When the next probe is due (at once for a new prefix).
  Clock::time_point next_probe() const { return next_probe_; }
  // When the outstanding probe times out (time_point::max() if none).
  Clock::time_point deadline() const;

  // A probe with sequence number `seq` was sent at `now`. An unanswered
  // outstanding probe is lost first (it cannot be answered any more).
  // Returns whether the health changed.
  bool sent(std::uint16_t seq, Clock::time_point now);
  // A reply with sequence `seq` arrived at `now`: counts if it answers the
  // outstanding probe within the timeout. Returns whether the health changed.
  bool reply(std::uint16_t seq, Clock::time_point now);
  // The outstanding probe (or the attempt to send one) failed at `now`, with
  // `reason`. Returns whether the health changed.
  bool failed(const std::string& reason, Clock::time_point now);
  // Loses the outstanding probe if its timeout has passed at `now`.
  bool tick(Clock::time_point now);

  Health health() const { return health_; }
  // Whether the prefix has a decided state (alive or dead): for --once.
  bool decided() const { return health_ != Health::kUnknown; }
  std::uint32_t consecutive_failures() const { return failures_; }
  std::uint32_t consecutive_successes() const { return successes_; }
  std::optional<std::chrono::microseconds> last_rtt() const { return last_rtt_; }
  const std::optional<Failure>& last_failure() const { return last_failure_; }
  std::uint64_t probes_sent() const { return sent_; }
  std::uint64_t replies() const { return replies_; }
  // When the health last changed (nullopt: never).
  std::optional<Clock::time_point> changed_at() const { return changed_at_; }

 private:
  bool set(Health h, Clock::time_point now);
  bool lose(const std::string& reason, Clock::time_point now);

  HealthPolicy policy_;
  Health health_ = Health::kUnknown;
  Clock::time_point next_probe_{};
  struct Outstanding {
    std::uint16_t seq;
    Clock::time_point sent_at;
  };
  std::optional<Outstanding> outstanding_;
  std::uint32_t failures_ = 0;
  std::uint32_t successes_ = 0;
  std::optional<std::chrono::microseconds> last_rtt_;
  std::optional<Failure> last_failure_;
  std::optional<Clock::time_point> changed_at_;
  std::uint64_t sent_ = 0;
  std::uint64_t replies_ = 0;
};

}  // namespace gn::health
