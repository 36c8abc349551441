#include "control/path.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace gn::control {
namespace {

Candidate make_candidate(PathKind kind, const net::Endpoint& target, bool route_option) {
  Candidate c;
  c.kind = kind;
  c.target = target;
  c.route_option = route_option;
  return c;
}

// A slot as the reason names it: which candidate, not what it is (the
// status's path kinds say that, control/path_kind.hpp); "nat64" would be
// untrue of a PATH that is REMOTE over plain IPv6.
std::string_view slot_name(PathKind kind) {
  switch (kind) {
    case PathKind::kDirect: return "direct";
    case PathKind::kNat64: return "PATH";
    case PathKind::kLearned: return "learned";
    case PathKind::kNone: break;
  }
  return "no path";
}

}  // namespace

PathSelector::PathSelector(Mode mode, Timing timing, std::function<std::uint64_t()> random_id)
    : mode_(mode), timing_(timing), random_id_(std::move(random_id)) {
  if (mode_ == Mode::kServer) reason_ = "no probe from the client yet";
}

void PathSelector::set_direct(const net::Endpoint& target) {
  direct_ = make_candidate(PathKind::kDirect, target, false);
}

void PathSelector::set_nat64(const std::vector<net::Endpoint>& targets, bool route_option) {
  const std::optional<net::Endpoint> was = chosen_ == PathKind::kNat64 && chosen_nat64_ < nat64_.size()
                                               ? std::optional(nat64_[chosen_nat64_].target)
                                               : std::nullopt;
  std::vector<Candidate> next;
  next.reserve(targets.size());
  for (const auto& t : targets) {
    auto it = std::find_if(nat64_.begin(), nat64_.end(),
                           [&](const Candidate& c) { return c.target == t && c.route_option == route_option; });
    next.push_back(it != nat64_.end() ? *it : make_candidate(PathKind::kNat64, t, route_option));
  }
  nat64_ = std::move(next);
  // Keep pointing at the same target if it stayed.
  chosen_nat64_ = 0;
  for (std::size_t i = 0; was && i < nat64_.size(); ++i)
    if (nat64_[i].target == *was) chosen_nat64_ = i;
  choose(Clock::now());
}

void PathSelector::set_nat64(const net::Endpoint& target, bool route_option) {
  // Re-resolving PATH to the same target changes nothing; another one is a
  // new candidate.
  set_nat64(std::vector<net::Endpoint>{target}, route_option);
}

std::vector<const Candidate*> PathSelector::candidates() const {
  std::vector<const Candidate*> out;
  if (direct_) out.push_back(&*direct_);
  for (const auto& c : nat64_) out.push_back(&c);
  if (learned_) out.push_back(&*learned_);
  if (pending_) out.push_back(&*pending_);
  return out;
}

std::vector<Candidate*> PathSelector::fixed_and_learned() {
  std::vector<Candidate*> out;
  if (direct_) out.push_back(&*direct_);
  for (auto& c : nat64_) out.push_back(&c);
  if (learned_) out.push_back(&*learned_);
  return out;
}

ProbeOut PathSelector::send_probe(Candidate& c, Clock::time_point now) {
  std::uint64_t id = random_id_();
  c.outstanding = id;
  c.sent_at = now;
  ++c.probes_sent;
  return {c.kind, c.target, c.route_option, id};
}

std::vector<ProbeOut> PathSelector::poll(Clock::time_point now) {
  std::vector<ProbeOut> out;
  if (pending_ && pending_->outstanding && now >= pending_->sent_at + timing_.reply_timeout)
    pending_.reset();  // an unanswered challenge teaches nothing
  std::vector<Candidate*> all = fixed_and_learned();
  if (pending_) all.push_back(&*pending_);
  for (Candidate* slot : all) {
    Candidate& c = *slot;
    if (c.outstanding && now >= c.sent_at + timing_.reply_timeout) {
      c.outstanding.reset();
      ++c.misses;
      c.last_miss = now;
      // Retry at once while the path may only have lost a packet; once it is
      // dead, probe it at the keepalive pace until it answers again.
      c.next_probe = c.misses < timing_.dead_after ? now : c.sent_at + timing_.keepalive;
    }
    if (!c.outstanding && now >= c.next_probe) {
      out.push_back(send_probe(c, now));
      c.next_probe = now + timing_.keepalive;
    }
  }
  choose(now);
  return out;
}

Clock::time_point PathSelector::next_deadline() const {
  auto t = Clock::time_point::max();
  for (const Candidate* c : candidates())
    t = std::min(t, c->outstanding ? c->sent_at + timing_.reply_timeout : c->next_probe);
  return t;
}

Candidate* PathSelector::find_outstanding(const net::Endpoint& from, std::uint64_t id) {
  // Replies on the direct and NAT64 paths may come from any port of the
  // peer's address (its source port); learned ones from exactly the target.
  if (direct_ && direct_->outstanding == id && direct_->target.address == from.address) return &*direct_;
  for (auto& c : nat64_)
    if (c.outstanding == id && c.target.address == from.address) return &c;
  for (auto* slot : {&learned_, &pending_}) {
    if (*slot && (*slot)->outstanding == id && (*slot)->target == from) return &**slot;
  }
  return nullptr;
}

bool PathSelector::on_reply(const net::Endpoint& from, const Message& reply, Clock::time_point now) {
  Candidate* c = find_outstanding(from, reply.probe_id);
  if (!c) return false;
  c->outstanding.reset();
  c->answered = true;
  c->misses = 0;
  c->last_reply = now;
  c->rtt = std::chrono::duration_cast<std::chrono::microseconds>(now - c->sent_at);
  c->observed = reply.observed;
  ++c->replies;
  if (pending_ && c == &*pending_) {
    // The challenge came back from the new source: the path moves there.
    pending_->kind = PathKind::kLearned;
    learned_ = pending_;
    pending_.reset();
  }
  choose(now);
  note_peer_in_use(reply.in_use, now);
  return true;
}

std::optional<ProbeOut> PathSelector::on_probe(const net::Endpoint& from, const Message& probe, Clock::time_point now) {
  note_peer_in_use(probe.in_use, now);
  if (mode_ != Mode::kServer && mode_ != Mode::kAuto) return std::nullopt;
  if (learned_ && learned_->target == from) return std::nullopt;
  if (pending_ && pending_->target == from) return std::nullopt;
  if (mode_ == Mode::kAuto && accepts_address(from.address) && !(learned_ && learned_->target.address == from.address))
    return std::nullopt;
  if (pending_) return std::nullopt;  // one challenge at a time
  if (now - challenge_window_ >= std::chrono::seconds(1)) {
    challenge_window_ = now;
    challenges_in_window_ = 0;
  }
  if (challenges_in_window_ >= timing_.challenges_per_second) {
    ++challenges_limited_;
    return std::nullopt;
  }
  ++challenges_in_window_;
  pending_ = make_candidate(PathKind::kLearned, from, false);
  ProbeOut p = send_probe(*pending_, now);
  pending_->next_probe = now + timing_.keepalive;
  return p;
}

Candidate* PathSelector::chosen_mutable() {
  return const_cast<Candidate*>(chosen());
}

void PathSelector::suspect(Clock::time_point now) {
  Candidate* c = chosen_mutable();
  if (!c || c->outstanding || now - c->sent_at < timing_.reply_timeout) return;
  c->next_probe = std::min(c->next_probe, now);
}

void PathSelector::note_peer_in_use(PathKind k, Clock::time_point now) {
  peer_in_use_ = k;
  // Both ends prefer the direct path; if only one of us is on it, one of us
  // is wrong about it: check ours at once.
  if (mode_ == Mode::kAuto && k != PathKind::kNone && chosen_ != PathKind::kNone &&
      (k == PathKind::kDirect) != (chosen_ == PathKind::kDirect))
    suspect(now);
}

const Candidate* PathSelector::chosen() const {
  switch (chosen_) {
    case PathKind::kDirect: return direct_ ? &*direct_ : nullptr;
    case PathKind::kNat64: return chosen_nat64_ < nat64_.size() ? &nat64_[chosen_nat64_] : nullptr;
    case PathKind::kLearned: return learned_ ? &*learned_ : nullptr;
    case PathKind::kNone: break;
  }
  return nullptr;
}

PathKind PathSelector::chosen_kind() const {
  return chosen() ? chosen_ : PathKind::kNone;
}

std::string PathSelector::label() const {
  switch (chosen_kind()) {
    case PathKind::kDirect: return "direct";
    case PathKind::kLearned: return "server";
    case PathKind::kNat64:
      if (mode_ == Mode::kClient) return "client";
      if (mode_ == Mode::kSymmetric) return "symmetric";
      return peer_in_use_ == PathKind::kLearned ? "client" : "symmetric";
    case PathKind::kNone: break;
  }
  return "none";
}

std::string PathSelector::slot_text(const Candidate& c) const {
  // With several PATHs, which one.
  if (c.kind == PathKind::kNat64 && nat64_.size() > 1) return "PATH " + c.target.to_string();
  return std::string(slot_name(c.kind));
}

// The first candidate in order that answers probes; else the one in use;
// else the first PATH. Sets chosen_ (and chosen_nat64_) and `why`.
void PathSelector::choose_path(std::string& why) {
  std::vector<Candidate*> order;
  if (mode_ == Mode::kAuto) {
    order = fixed_and_learned();
  } else {
    for (auto& c : nat64_) order.push_back(&c);
  }
  std::vector<std::string> skipped;
  const Candidate* pick = nullptr;
  for (Candidate* c : order) {
    if (c->alive(timing_.dead_after)) {
      pick = c;
      break;
    }
    skipped.push_back(
        fmt::format("{} {}", slot_text(*c),
                    c->answered ? fmt::format("dead ({} missed replies)", c->misses) : std::string("not answering")));
  }
  std::string skipped_text;
  for (const auto& t : skipped) skipped_text += (skipped_text.empty() ? "" : ", ") + t;
  if (pick) {
    why =
        fmt::format("{} answers probes{}{}", slot_text(*pick), skipped.empty() ? "" : "; passed over: ", skipped_text);
  } else if (const Candidate* now_on = chosen()) {
    pick = now_on;  // nothing answers: stay where we were
    why = "no path answers probes (" + skipped_text + "); staying on the last one";
  } else if (!nat64_.empty()) {
    pick = &nat64_.front();
    why = fmt::format("no path answers probes yet; trying {}", slot_text(*pick));
  }
  chosen_ = pick ? pick->kind : PathKind::kNone;
  if (pick && pick->kind == PathKind::kNat64) chosen_nat64_ = static_cast<std::size_t>(pick - nat64_.data());
}

void PathSelector::choose(Clock::time_point now) {
  const PathKind was_kind = chosen_;
  const std::optional<net::Endpoint> was_target = chosen_target_;
  std::string why;
  switch (mode_) {
    case Mode::kSymmetric:
    case Mode::kClient:
      if (nat64_.size() == 1) {
        chosen_ = PathKind::kNat64;
        chosen_nat64_ = 0;
        why = fmt::format("{} mode: data always goes to PATH {}", to_string(mode_), nat64_.front().target.to_string());
      } else if (nat64_.size() > 1) {
        choose_path(why);
      } else {
        chosen_ = PathKind::kNone;
      }
      break;
    case Mode::kServer:
      chosen_ = learned_ ? PathKind::kLearned : PathKind::kNone;
      if (learned_)
        why = fmt::format("learned from the client's probe, confirmed by its reply to our challenge from {}",
                          learned_->target.to_string());
      break;
    case Mode::kAuto: choose_path(why); break;
  }
  const Candidate* c = chosen();
  chosen_target_ = c ? std::optional(c->target) : std::nullopt;
  if (chosen_ != was_kind || chosen_target_ != was_target) {
    ++generation_;
    // The peer learns what we use from our probes ("in use"): send them now.
    if (mode_ == Mode::kAuto)
      for (Candidate* slot : fixed_and_learned())
        if (!slot->outstanding) slot->next_probe = std::min(slot->next_probe, now);
  }
  if (!why.empty()) reason_ = why;
}

bool PathSelector::accepts_address(const net::IpAddress& a) const {
  if (direct_ && direct_->target.address == a) return true;
  return std::any_of(nat64_.begin(), nat64_.end(), [&](const Candidate& c) { return c.target.address == a; });
}

std::optional<net::Endpoint> PathSelector::learned_source() const {
  if (learned_) return learned_->target;
  return std::nullopt;
}

}  // namespace gn::control
