// The status document of an endpoint (`geneve-ctl show`, docs/operations.md):
// built on demand from the peers' state and counters.
#include <unistd.h>

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "control/path_kind.hpp"
#include "endpoint/endpoint.hpp"
#include "util/json_pieces.hpp"
#include "util/log.hpp"

namespace gn::endpoint {
namespace {

using Clock = std::chrono::steady_clock;

// Peers per piece of a streamed status document: about 1.5 kB each, so a
// piece is a few tens of kB and costs the loop well under a millisecond.
constexpr std::size_t kPeersPerPiece = 16;

std::string hex(unsigned value, int width) {
  return fmt::format("0x{:0{}x}", value, width);
}

double seconds_since(Clock::time_point t, Clock::time_point now) {
  return std::chrono::duration<double>(now - t).count();
}

nlohmann::json since_or_null(Clock::time_point t, Clock::time_point now) {
  if (t == Clock::time_point{}) return nullptr;
  return seconds_since(t, now);
}

}  // namespace

// Which offloads the userspace data plane uses and why any is off
// (docs/operations.md, "Reading the offload status").
nlohmann::json TunnelEndpoint::offload_status() const {
  nlohmann::json j = {{"requested", cfg_.offloads}};
  const dataplane::TapDevice* tap = nullptr;
  for (const auto& p : peers_)
    if (const auto* t = p->device.tap()) tap = t;
  if (tap) {
    const auto& o = tap->offloads();
    j["tap"] = {{"vnet_header", o.vnet_header},
                {"checksum", o.checksum},
                {"tso", o.tso},
                {"uso", o.uso},
                {"reason", o.vnet_header ? o.reason : std::string("off (--no-offload)")}};
  }
  j["sockets"] = sockets_->offload_status();
  const auto st = dataplane_->stats();
  j["stats"] = {{"tx_blocked", st.tx_blocked},
                {"gso_sends", st.gso_sends},
                {"gro_receives", st.gro_receives},
                {"coalesced_writes", st.coalesced_writes},
                {"control_queued", st.control_queued}};
  return j;
}

nlohmann::json TunnelEndpoint::peer_status(const Peer& p, Clock::time_point now) const {
  nlohmann::json j = dataplane::to_json(p.tunnel.merged_counters(), now);
  if (p.device.kernel_server() && cfg_.shared_interface) {
    // The kernel's filters count each client's frames (read once per
    // status request, in status_head).
    auto it = kernel_counters_.clients.find(p.device.kernel_index());
    const dataplane::KernelServer::ClientCounters c =
        it == kernel_counters_.clients.end() ? dataplane::KernelServer::ClientCounters{} : it->second;
    j["rx_packets"] = c.rx_packets;
    j["rx_bytes"] = c.rx_bytes;
    j["tx_packets"] = c.tx_packets;
    j["tx_bytes"] = c.tx_bytes;
    j["drops"][std::string(dataplane::to_string(dataplane::Drop::kSourceNotAllowed))] = c.source_not_allowed;
    j["drops"]["no_path"] = c.no_path;
  }
  // The kernel moves the frames: its interface counters are the truth when
  // the interface is the peer's alone (not a server's, shared by its clients).
  std::optional<netlink::LinkStats> link;
  if (auto* kernel = p.device.kernel())
    link = kernel->stats();
  else if (auto* server = p.device.kernel_server(); server && !cfg_.shared_interface)
    link = server->stats();
  if (link) {
    const auto& st = *link;
    j["rx_packets"] = st.rx_packets;
    j["rx_bytes"] = st.rx_bytes;
    j["tx_packets"] = st.tx_packets;
    j["tx_bytes"] = st.tx_bytes;
    j["kernel_drops"] = {{"rx_dropped", st.rx_dropped},
                         {"tx_dropped", st.tx_dropped},
                         {"rx_errors", st.rx_errors},
                         {"tx_errors", st.tx_errors}};
  }
  // The kinds say what each path is (docs/operations.md), not which slot of
  // the selector holds it: PATH over a plain IPv6 link is "direct-ipv6".
  const control::PathFacts facts{p.spec.remote, cfg_.nat64_prefixes};
  nlohmann::json candidates = nlohmann::json::array();
  for (const control::Candidate* c : p.paths.candidates()) {
    candidates.push_back({
        {"kind", control::path_kind(*c, facts)},
        {"target", c->target.to_string()},
        {"route_option", c->route_option},
        {"alive", c->alive(cfg_.timing.dead_after)},
        {"answered", c->answered},
        {"missed", c->misses},
        {"rtt_ms", c->answered ? nlohmann::json(std::chrono::duration<double, std::milli>(c->rtt).count())
                               : nlohmann::json(nullptr)},
        {"last_reply_seconds_ago", since_or_null(c->last_reply, now)},
        {"last_miss_seconds_ago", since_or_null(c->last_miss, now)},
        {"observed", c->observed ? nlohmann::json(c->observed->to_string()) : nlohmann::json(nullptr)},
        {"probes_sent", c->probes_sent},
        {"replies", c->replies},
    });
  }
  const control::Candidate* chosen = p.paths.chosen();
  j["name"] = p.spec.name;
  j["interface"] = p.ifname();
  j["remote"] = p.spec.remote.to_string();
  j["vni"] = p.spec.vni;
  j["mode"] = p.paths.label();
  j["path"] = {
      {"kind",
       chosen ? control::path_kind(*chosen, facts) : control::path_kind(control::PathKind::kNone, {}, false, facts)},
      {"target", chosen ? nlohmann::json(chosen->target.to_string()) : nlohmann::json(nullptr)},
      {"alive", chosen ? chosen->alive(cfg_.timing.dead_after) : false},
      {"reason", p.paths.reason()},
  };
  j["peer_uses"] = control::peer_slot(p.paths.peer_in_use());
  j["candidates"] = candidates;
  j["observed"] = p.observed ? nlohmann::json(p.observed->to_string()) : nlohmann::json(nullptr);
  j["authenticated"] = p.key.has_value();
  j["last_handshake_seconds_ago"] = since_or_null(p.last_handshake, now);
  j["control"] = {{"probes_sent", p.probes_tx},
                  {"probes_received", p.probes_rx},
                  {"replies_sent", p.replies_tx},
                  {"replies_received", p.replies_rx},
                  {"challenges_rate_limited", p.paths.challenges_limited()}};
  j["dataplane"] = {{"kind", p.device.is_kernel() ? "kernel" : "userspace"}, {"reason", p.dataplane_reason}};
  nlohmann::json allowed = nlohmann::json::array();
  for (const auto& prefix : p.spec.allowed_ips)
    allowed.push_back(prefix.network().to_string() + "/" + std::to_string(prefix.length()));
  j["allowed_ips"] = allowed;
  return j;
}

nlohmann::json TunnelEndpoint::status() const {
  auto now = Clock::now();
  nlohmann::json j = status_head(now);
  for (const auto& p : peers_) j["peers"].push_back(peer_status(*p, now));
  return j;
}

control::StatusServer::Pieces TunnelEndpoint::status_pieces() const {
  // Byte for byte status().dump(2) + "\n", made kPeersPerPiece peers at a
  // time as the client takes them. The set of peers does not change while
  // the endpoint runs, but their state does between pieces: each piece
  // shows its peers as they are when it is made, so a document of 10,000
  // peers is not one moment's picture (as `ip -s link` over many links is
  // not either).
  auto doc = std::make_shared<JsonArrayPieces>(status_head(Clock::now()), "peers");
  return [this, doc, next = std::size_t{0}](std::string& out) mutable {
    if (next == 0) out += doc->head();
    const auto now = Clock::now();
    for (const std::size_t end = std::min(peers_.size(), next + kPeersPerPiece); next < end; ++next)
      doc->append_element(out, peer_status(*peers_[next], now), next);
    if (next < peers_.size()) return false;
    doc->append_tail(out, next);
    out += '\n';
    return true;
  };
}

nlohmann::json TunnelEndpoint::status_head(Clock::time_point now) const {
  nlohmann::json unattributed = dataplane::to_json(dataplane_->unattributed(), now)["drops"];
  for (std::size_t i = 0; i < unattributed_control_.drops.size(); ++i)
    if (unattributed_control_.drops[i])
      unattributed[std::string(dataplane::to_string(static_cast<dataplane::Drop>(i)))] = unattributed_control_.drops[i];
  if (kernel_server_) {
    try {
      kernel_counters_ = kernel_server_->counters();
    } catch (const std::exception& e) {
      log::warn("{}: reading the kernel's drop counters: {}", name_, e.what());
    }
    // The kernel's filters count what the userspace plane would: the same names.
    unattributed[std::string(dataplane::to_string(dataplane::Drop::kUnknownSource))] = kernel_counters_.unknown_source;
    if (cfg_.shared_interface)
      unattributed[std::string(dataplane::to_string(dataplane::Drop::kNoPeer))] = kernel_counters_.no_peer;
  }
  // Frames on a shared interface that no client owns are charged to none.
  const auto& shared = dataplane_->shared_interface_drops();
  for (std::size_t i = 0; i < shared.drops.size(); ++i)
    if (auto n = shared.drops[i].load(std::memory_order_relaxed))
      unattributed[std::string(dataplane::to_string(static_cast<dataplane::Drop>(i)))] = n;
  const bool one = peers_.size() == 1;
  nlohmann::json interface = nullptr;
  if (cfg_.shared_interface)
    interface = shared_ifname();
  else if (one)
    interface = peers_.front()->ifname();
  nlohmann::json head = {
      {"name", name_},
      {"interface", interface},
      {"mode", control::to_string(cfg_.mode)},
      {"vni", one ? nlohmann::json(peers_.front()->spec.vni) : nlohmann::json(nullptr)},
      {"local", cfg_.local.to_string()},
      {"listen_port", cfg_.port},
      {"source_port", cfg_.source_port},
      {"mtu", underlay_.mtu},
      {"underlay_mtu", underlay_.underlay_mtu},
      {"keepalive_seconds", std::chrono::duration<double>(cfg_.timing.keepalive).count()},
      {"dead_after", cfg_.timing.dead_after},
      {"dataplane",
       {{"kind", !peers_.empty() && peers_.front()->device.is_kernel() ? "kernel" : "userspace"},
        {"reason", dataplane_reason_},
        {"offloads", offload_status()}}},
      {"route_option",
       {{"class", hex(cfg_.option_id.option_class, 4)},
        {"type", hex(cfg_.option_id.type, 2)},
        {"sent", cfg_.route_option}}},
      {"unattributed_drops", unattributed},
      {"pid", ::getpid()},
      {"uptime_seconds", seconds_since(started_, now)},
      {"peers", nlohmann::json::array()},
  };
  if (cfg_.mode == control::Mode::kClient || cfg_.mode == control::Mode::kAuto) {
    // Each prefix's health is its PATH candidate's (peers[].candidates).
    nlohmann::json prefixes = nlohmann::json::array();
    for (const auto& p : cfg_.nat64_prefixes) prefixes.push_back(p.to_string());
    head["nat64_prefixes"] = {{"prefixes", prefixes},
                              {"source", cfg_.discover_nat64_prefixes ? "dns64" : "configured"}};
  }
  if (kernel_server_) {
    // What the kernel server's control channel and port map saw.
    const auto c = kernel_server_->control_stats();
    auto& k = head["dataplane"]["kernel"];
    k = {{"control_copies", c.copies}, {"control_rejected", c.rejected}, {"control_overruns", c.overruns}};
    try {
      k["unmapped_drops"] = kernel_server_->unmapped_drops();
    } catch (const std::exception& e) {
      k["unmapped_drops"] = nullptr;
      log::warn("{}: reading the nftables drop counter: {}", name_, e.what());
    }
  }
  return head;
}

}  // namespace gn::endpoint
