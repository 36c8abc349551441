#include "health/prefix_health.hpp"

namespace gn::health {

const char* health_name(Health h) {
  switch (h) {
    case Health::kUnknown: return "unknown";
    case Health::kAlive: return "alive";
    case Health::kDead: return "dead";
  }
  return "?";
}

Clock::time_point PrefixHealth::deadline() const {
  return outstanding_ ? outstanding_->sent_at + policy_.timeout : Clock::time_point::max();
}

bool PrefixHealth::set(Health h, Clock::time_point now) {
  if (h == health_) return false;
  health_ = h;
  changed_at_ = now;
  return true;
}

bool PrefixHealth::lose(const std::string& reason, Clock::time_point now) {
  outstanding_.reset();
  successes_ = 0;
  ++failures_;
  last_failure_ = Failure{now, reason};
  return failures_ >= policy_.fall && set(Health::kDead, now);
}

bool PrefixHealth::sent(std::uint16_t seq, Clock::time_point now) {
  const bool changed = outstanding_ && lose("timeout", now);
  outstanding_ = Outstanding{seq, now};
  next_probe_ = now + policy_.interval;
  ++sent_;
  return changed;
}

bool PrefixHealth::reply(std::uint16_t seq, Clock::time_point now) {
  if (!outstanding_ || outstanding_->seq != seq || now > deadline()) return false;
  last_rtt_ = std::chrono::duration_cast<std::chrono::microseconds>(now - outstanding_->sent_at);
  outstanding_.reset();
  ++replies_;
  failures_ = 0;
  ++successes_;
  return successes_ >= policy_.rise && set(Health::kAlive, now);
}

bool PrefixHealth::failed(const std::string& reason, Clock::time_point now) {
  // A failed send is a lost probe too; the next one is still due on time.
  return lose(reason, now);
}

bool PrefixHealth::tick(Clock::time_point now) {
  return outstanding_ && now >= deadline() && lose("timeout", now);
}

}  // namespace gn::health
