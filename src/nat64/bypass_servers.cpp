#include "nat64/bypass_servers.hpp"

namespace gn::nat64 {

BypassServers::BypassServers(const BypassLimits& limits)
    : limits_(limits), offers_(limits.offer_rate, limits.offer_rate, 1) {}

BypassServers::Decision BypassServers::on_client_packet(std::uint32_t server, TimePoint now) {
  auto it = servers_.find(server);
  if (it == servers_.end()) {
    if (servers_.size() >= limits_.max_servers) return Decision::kTableFull;
    it = servers_.emplace(server, Entry{}).first;
  }
  Entry& e = it->second;
  if (live(e, now)) return Decision::kBypass;
  // A server that was accepted and went quiet is offered again at once: its
  // connections may be waiting (a gateway that missed keepalives).
  const bool was_accepted = e.accepted;
  e.accepted = false;
  if (!was_accepted && e.offered && now - e.last_offer < limits_.offer_interval) return Decision::kTranslate;
  if (!offers_.allow(0, now)) return Decision::kRateLimited;
  e.offered = true;
  e.last_offer = now;
  return Decision::kOffer;
}

bool BypassServers::accept(std::uint32_t server, const bypass::Mac& server_mac, TimePoint now) {
  auto it = servers_.find(server);
  if (it == servers_.end()) {
    // A keepalive after a gateway restart is an acceptance (8.5); bounded
    // like offers, so spoofed keepalives cannot grow the table.
    if (servers_.size() >= limits_.max_servers) return false;
    it = servers_.emplace(server, Entry{}).first;
  }
  Entry& e = it->second;
  const bool was_live = live(e, now);
  e.accepted = true;
  e.mac = server_mac;
  e.last_heard = now;
  return !was_live;
}

bool BypassServers::forget(std::uint32_t server, TimePoint now) {
  auto it = servers_.find(server);
  if (it == servers_.end()) return false;
  Entry& e = it->second;
  const bool was = live(e, now);
  // Kept as offered now: a server that left or refused is not offered
  // again before the offer interval.
  e.accepted = false;
  e.offered = true;
  e.last_offer = now;
  return was;
}

std::optional<bypass::Mac> BypassServers::server_mac(std::uint32_t server, TimePoint now) const {
  auto it = servers_.find(server);
  if (it == servers_.end() || !live(it->second, now)) return std::nullopt;
  return it->second.mac;
}

void BypassServers::expire(TimePoint now) {
  std::erase_if(servers_, [&](const auto& kv) {
    const Entry& e = kv.second;
    if (live(e, now)) return false;
    return !e.offered || now - e.last_offer >= limits_.offer_interval;
  });
  offers_.prune(now);
}

std::vector<BypassServers::Accepted> BypassServers::accepted(TimePoint now) const {
  std::vector<Accepted> out;
  for (const auto& [server, e] : servers_)
    if (live(e, now)) out.push_back({server, e.mac, e.last_heard});
  return out;
}

}  // namespace gn::nat64
