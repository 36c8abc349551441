#include "health/daemon.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "health/fragment.hpp"
#include "health/reload.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/log.hpp"

namespace gn::health {
namespace {

constexpr std::chrono::milliseconds kReloadLimit{10000};

double ms(std::chrono::microseconds us) {
  return static_cast<double>(us.count()) / 1000.0;
}

long long ago_ms(Clock::time_point then, Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now - then).count();
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

}  // namespace

HealthDaemon::HealthDaemon(HealthConfig config) : config_(std::move(config)) {
  // First: a second instance in this namespace stops here, before it logs
  // or probes anything.
  if (!config_.once)
    status_ =
        std::make_unique<control::StatusServer>(loop_, config_.run_dir, kStatusName, [this] { return status_json(); });
  for (const net::Nat64Prefix& p : config_.prefixes) {
    const net::IpAddress address = p.embed(*config_.target);
    prefixes_.push_back(std::make_unique<Prefix>(
        Prefix{p, address, PrefixHealth(config_.policy), ProbeSocket(address, config_.probe, config_.port)}));
    Prefix& ref = *prefixes_.back();
    loop_.watch(ref.socket.fd(), "probe socket", [this, &ref] { on_readable(ref); });
    log::info("prefix {}: probing {} every {} ms ({} socket)", p.to_string(), address.to_string(),
              config_.policy.interval.count(), ref.socket.kind_name());
  }
  // What is there already counts as written: an unchanged fragment after a
  // restart is neither rewritten nor reloaded.
  try {
    written_ = read_file(config_.fragment, "fragment");
  } catch (const SystemError&) {
    written_.clear();
  }
  loop_.set_timer([this] { return on_timer(); });
}

void HealthDaemon::changed(const Prefix& p) {
  const PrefixHealth& h = p.health;
  if (h.health() == Health::kAlive) {
    log::info("prefix {}: alive ({} answered in a row, rtt {:.2f} ms)", p.prefix.to_string(), h.consecutive_successes(),
              h.last_rtt() ? ms(*h.last_rtt()) : 0.0);
  } else if (h.health() == Health::kDead) {
    log::warn("prefix {}: dead ({} probes lost in a row, last: {})", p.prefix.to_string(), h.consecutive_failures(),
              h.last_failure() ? h.last_failure()->reason : "?");
  }
}

void HealthDaemon::on_readable(Prefix& p) {
  const auto now = Clock::now();
  for (const ProbeSocket::Event& e : p.socket.receive()) {
    bool change = false;
    if (e.kind == ProbeSocket::Event::Kind::kReply) {
      change = p.health.reply(e.seq, now);
    } else if (p.health.deadline() != Clock::time_point::max()) {
      // An ICMPv6 error about the outstanding probe: lost now, not later.
      change = p.health.failed(e.reason, now);
    }
    if (change) changed(p);
  }
  update_fragment();
}

Clock::time_point HealthDaemon::on_timer() {
  const auto now = Clock::now();
  Clock::time_point next = Clock::time_point::max();
  for (auto& ptr : prefixes_) {
    Prefix& p = *ptr;
    if (p.health.tick(now)) changed(p);
    if (now >= p.health.next_probe()) {
      const std::uint16_t seq = ++p.seq;
      bool change = p.health.sent(seq, now);
      try {
        p.socket.send(seq);
      } catch (const SystemError& e) {
        // No route, a full buffer: a lost probe, with the reason.
        change = p.health.failed(e.what(), now) || change;
      }
      if (change) changed(p);
    }
    next = std::min({next, p.health.next_probe(), p.health.deadline()});
  }
  update_fragment();
  if (reload_pending_) next = std::min(next, next_reload_try_);
  if (config_.once) {
    const bool all = std::all_of(prefixes_.begin(), prefixes_.end(), [](const auto& p) { return p->health.decided(); });
    if (all || now >= once_deadline_) loop_.stop();
    next = std::min(next, once_deadline_);
  }
  return next;
}

void HealthDaemon::update_fragment() {
  std::vector<PrefixState> states;
  for (const auto& p : prefixes_) states.push_back({p->prefix.to_string(), p->health.health()});
  listed_ = listed_prefixes(states);
  const std::string text = render_fragment(listed_, config_.lists);
  if (text != written_) {
    try {
      replace_file(config_.fragment, text, "dns64 fragment", 0644);
      written_ = text;
      ++writes_;
      last_write_error_.clear();
      log::info("fragment {}: lists {}", config_.fragment, joined(listed_));
      reload_pending_ = !config_.reload_command.empty();
      next_reload_try_ = Clock::now();
    } catch (const SystemError& e) {
      // Tried again at the next probe; the status says why.
      if (last_write_error_ != e.what()) log::error("{}", e.what());
      last_write_error_ = e.what();
    }
  }
  const auto now = Clock::now();
  if (!reload_pending_ || now < next_reload_try_) return;
  const CommandResult r = run_shell_command(config_.reload_command, kReloadLimit);
  if (r.ok) {
    ++reloads_;
    reload_pending_ = false;
    last_reload_error_.clear();
    log::info("reloaded: {}", config_.reload_command);
  } else {
    ++reload_failures_;
    last_reload_error_ = r.error;
    next_reload_try_ = now + config_.policy.interval;
    log::warn("reload command '{}' failed: {}; trying again in {} ms", config_.reload_command, r.error,
              config_.policy.interval.count());
  }
}

std::string HealthDaemon::status_json() const {
  const auto now = Clock::now();
  nlohmann::ordered_json prefixes = nlohmann::ordered_json::array();
  for (const auto& ptr : prefixes_) {
    const Prefix& p = *ptr;
    const PrefixHealth& h = p.health;
    nlohmann::ordered_json j = {
        {"prefix", p.prefix.to_string()},
        {"probe_address", p.address.to_string()},
        {"health", health_name(h.health())},
        {"listed", std::find(listed_.begin(), listed_.end(), p.prefix.to_string()) != listed_.end()},
        {"rtt_ms", nullptr},
        {"consecutive_failures", h.consecutive_failures()},
        {"consecutive_successes", h.consecutive_successes()},
        {"probes", h.probes_sent()},
        {"replies", h.replies()},
        {"last_failure", nullptr},
        {"changed_ago_ms", nullptr}};
    if (h.last_rtt()) j["rtt_ms"] = ms(*h.last_rtt());
    if (h.last_failure())
      j["last_failure"] = {{"reason", h.last_failure()->reason}, {"ago_ms", ago_ms(h.last_failure()->at, now)}};
    if (h.changed_at()) j["changed_ago_ms"] = ago_ms(*h.changed_at(), now);
    prefixes.push_back(j);
  }
  nlohmann::ordered_json doc = {{"command", "geneve-nat64-health"},
                                {"pid", static_cast<long>(::getpid())},
                                {"target", config_.target->to_string()},
                                {"probe", config_.probe == ProbeKind::kUdp ? "udp" : "icmp"},
                                {"fragment", config_.fragment},
                                {"listed", listed_},
                                {"fragment_writes", writes_},
                                {"write_error", last_write_error_},
                                {"reload_command", config_.reload_command},
                                {"reloads", reloads_},
                                {"reload_failures", reload_failures_},
                                {"reload_pending", reload_pending_},
                                {"last_reload_error", last_reload_error_},
                                {"prefixes", prefixes}};
  return doc.dump() + "\n";
}

int HealthDaemon::run() {
  loop_.run();
  log::info("stopping; {} left as it is", config_.fragment);
  return 0;
}

int HealthDaemon::run_once() {
  const auto& p = config_.policy;
  // Enough for `rise` answers or `fall` losses from the first probe on.
  once_deadline_ = Clock::now() + p.interval * (std::max(p.rise, p.fall)) + p.timeout;
  loop_.run();
  update_fragment();
  std::fputs(render_status(status_json()).c_str(), stdout);
  const bool any = std::any_of(prefixes_.begin(), prefixes_.end(),
                               [](const auto& x) { return x->health.health() == Health::kAlive; });
  return any ? 0 : 1;
}

std::string render_status(const std::string& json_text) {
  const nlohmann::json doc = nlohmann::json::parse(json_text);
  std::string out = "target " + doc.value("target", "?") + ", fragment " + doc.value("fragment", "?") + " lists " +
                    joined(doc.value("listed", std::vector<std::string>{})) + "\n";
  out += "  reloads " + std::to_string(doc.value("reloads", 0u)) + ", failed " +
         std::to_string(doc.value("reload_failures", 0u));
  if (!doc.value("last_reload_error", std::string()).empty())
    out += " (last: " + doc["last_reload_error"].get<std::string>() + ")";
  if (doc.value("reload_pending", false)) out += ", a reload pending";
  out += "\n";
  if (!doc.value("write_error", std::string()).empty())
    out += "  cannot write: " + doc["write_error"].get<std::string>() + "\n";
  for (const auto& p : doc["prefixes"]) {
    char rtt[32] = "-";
    if (p["rtt_ms"].is_number()) std::snprintf(rtt, sizeof rtt, "%.2f ms", p["rtt_ms"].get<double>());
    out += "  " + p.value("prefix", "?") + " via " + p.value("probe_address", "?") + ": " + p.value("health", "?") +
           (p.value("listed", false) ? ", listed" : ", not listed") + ", rtt " + rtt + ", " +
           std::to_string(p.value("consecutive_failures", 0u)) + " lost in a row, " +
           std::to_string(p.value("replies", 0u)) + "/" + std::to_string(p.value("probes", 0u)) + " answered\n";
    if (p["last_failure"].is_object())
      out += "    last failure " + std::to_string(p["last_failure"].value("ago_ms", 0LL) / 1000) +
             " s ago: " + p["last_failure"].value("reason", "?") + "\n";
  }
  return out;
}

}  // namespace gn::health
