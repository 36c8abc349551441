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

void PathSelector::set_nat64(const net::Endpoint& target, bool route_option) {
  nat64_ = make_candidate(PathKind::kNat64, target, route_option);
  choose(Clock::now());
}

std::vector<const Candidate*> PathSelector::candidates() const {
  std::vector<const Candidate*> out;
  for (const auto* c : {&direct_, &nat64_, &learned_, &pending_})
    if (*c) out.push_back(&**c);
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
  for (auto* slot : {&direct_, &nat64_, &learned_, &pending_}) {
    if (!*slot) continue;
    Candidate& c = **slot;
    if (c.outstanding && now >= c.sent_at + timing_.reply_timeout) {
      c.outstanding.reset();
      ++c.misses;
      if (slot == &pending_) {  // an unanswered challenge teaches nothing
        pending_.reset();
        continue;
      }
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
  for (auto* slot : {&direct_, &nat64_}) {
    if (*slot && (*slot)->outstanding == id && (*slot)->target.address == from.address) return &**slot;
  }
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
    case PathKind::kNat64: return nat64_ ? &*nat64_ : nullptr;
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

void PathSelector::choose(Clock::time_point now) {
  PathKind pick = PathKind::kNone;
  std::string why;
  auto alive = [&](const std::optional<Candidate>& c) { return c && c->alive(timing_.dead_after); };
  switch (mode_) {
    case Mode::kSymmetric:
    case Mode::kClient:
      if (nat64_) {
        pick = PathKind::kNat64;
        why = fmt::format("{} mode: data always goes to PATH {}", to_string(mode_), nat64_->target.to_string());
      }
      break;
    case Mode::kServer:
      if (learned_) {
        pick = PathKind::kLearned;
        why = fmt::format("learned from the client's probe, confirmed by its reply to our challenge from {}",
                          learned_->target.to_string());
      }
      break;
    case Mode::kAuto: {
      std::vector<std::string> skipped;
      for (auto* slot : {&direct_, &nat64_, &learned_}) {
        if (!*slot) continue;
        if (alive(*slot)) {
          pick = (*slot)->kind;
          break;
        }
        skipped.push_back(fmt::format("{} {}", slot_name((*slot)->kind),
                                      (*slot)->answered ? fmt::format("dead ({} missed replies)", (*slot)->misses)
                                                        : std::string("not answering")));
      }
      std::string skipped_text;
      for (const auto& s : skipped) skipped_text += (skipped_text.empty() ? "" : ", ") + s;
      if (pick != PathKind::kNone) {
        why = fmt::format("{} answers probes{}{}", slot_name(pick),
                          skipped.empty() ? "" : "; passed over: ", skipped_text);
      } else if (chosen() != nullptr) {
        pick = chosen_;  // nothing answers: stay where we were
        why = "no path answers probes (" + skipped_text + "); staying on the last one";
      } else if (nat64_) {
        pick = PathKind::kNat64;
        why = "no path answers probes yet; trying PATH";
      }
      break;
    }
  }
  std::optional<net::Endpoint> target;
  if (pick == PathKind::kDirect) target = direct_->target;
  if (pick == PathKind::kNat64) target = nat64_->target;
  if (pick == PathKind::kLearned) target = learned_->target;
  if (pick != chosen_ || target != chosen_target_) {
    chosen_ = pick;
    chosen_target_ = target;
    ++generation_;
    // The peer learns what we use from our probes ("in use"): send them now.
    if (mode_ == Mode::kAuto)
      for (auto* slot : {&direct_, &nat64_, &learned_})
        if (*slot && !(*slot)->outstanding) (*slot)->next_probe = std::min((*slot)->next_probe, now);
  }
  if (!why.empty()) reason_ = why;
}

bool PathSelector::accepts_address(const net::IpAddress& a) const {
  return (direct_ && direct_->target.address == a) || (nat64_ && nat64_->target.address == a);
}

std::optional<net::Endpoint> PathSelector::learned_source() const {
  if (learned_) return learned_->target;
  return std::nullopt;
}

}  // namespace gn::control
