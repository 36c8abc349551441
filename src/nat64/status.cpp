#include "nat64/status.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

namespace gn::nat64 {
namespace {

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string hex(unsigned value, int width) {
  return fmt::format("0x{:0{}x}", value, width);
}

std::string v6_endpoint(const Binding& b) {
  return "[" + b.v6_address.to_string() + "]:" + std::to_string(b.v6_port);
}

void render_non_zero(const nlohmann::json& counters, std::string& out) {
  bool any = false;
  for (const auto& [name, value] : counters.items()) {
    if (value.get<std::uint64_t>() == 0) continue;
    out += fmt::format("  {:<28} {}\n", name, value.get<std::uint64_t>());
    any = true;
  }
  if (!any) out += "  (all zero)\n";
}

// TCP sessions show their RFC 6146 state; UDP ones whether both
// directions have been seen (which decides their timeout).
const char* state_name(const Session& s) {
  switch (s.binding->proto) {
    case Proto::kIcmp: return "query";
    case Proto::kTcp: return to_string(s.tcp);
    case Proto::kUdp: break;
  }
  return s.seen_inbound && s.seen_outbound ? "established" : "initial";
}

// At most `max` rows of a usage table (busiest first) as JSON.
nlohmann::json usage_rows(const UsageTable& table, std::string (*name)(std::uint32_t), bool with_to, std::size_t max) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : table.totals()) {
    if (rows.size() >= max) break;
    nlohmann::json row = {{"prefix", name(r.key)}, {"packets", r.count.packets_from}, {"bytes", r.count.bytes_from}};
    if (with_to) {
      row = {{"prefix", name(r.key)},
             {"packets_from", r.count.packets_from},
             {"bytes_from", r.count.bytes_from},
             {"packets_to", r.count.packets_to},
             {"bytes_to", r.count.bytes_to}};
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

nlohmann::json usage_count(const UsageCount& c) {
  return {{"packets_from", c.packets_from},
          {"bytes_from", c.bytes_from},
          {"packets_to", c.packets_to},
          {"bytes_to", c.bytes_to}};
}

}  // namespace

std::vector<std::string> usage_log_lines(const Translator::UsageInterval& interval, std::size_t max_lines) {
  std::vector<std::string> lines;
  auto add = [&](const UsageTable::Interval& part, std::string (*name)(std::uint32_t), const char* what) {
    UsageCount rest = part.other;
    std::size_t rest_prefixes = 0;
    for (const auto& r : part.rows) {
      if (lines.size() < max_lines) {
        const UsageCount& c = r.count;
        lines.push_back(fmt::format("usage {} {}: {} packets ({} bytes) from it, {} packets ({} bytes) to it", what,
                                    name(r.key), c.packets_from, c.bytes_from, c.packets_to, c.bytes_to));
      } else {
        rest.add(r.count);
        ++rest_prefixes;
      }
    }
    if (!rest.empty())
      lines.push_back(fmt::format("usage {}: {} more prefixes or beyond the table: {} packets from, {} packets to",
                                  what, rest_prefixes, rest.packets_from, rest.packets_to));
  };
  add(interval.v6, v6_slash32, "ipv6");
  max_lines += lines.size();
  add(interval.unmapped_v4, v4_slash24, "unmapped ipv4");
  return lines;
}

nlohmann::json status_document(const Translator& translator, const StatusInfo& info, std::size_t max_sessions_listed) {
  const Translator& t = translator;
  const TranslatorConfig& c = t.config();
  TimePoint now = t.now();
  nlohmann::json allow = nlohmann::json::array();
  for (const auto& p : c.allow) allow.push_back(p.to_string());

  // Sessions grouped under their binding; bindings in a stable order.
  std::map<const Binding*, nlohmann::json> sessions_of;
  std::size_t listed = 0;
  t.table().for_each_session([&](const Session& s) {
    if (listed >= max_sessions_listed) return;
    ++listed;
    bool icmp = s.binding->proto == Proto::kIcmp;
    sessions_of[s.binding].push_back({
        {"remote",
         icmp ? s.remote_address().to_string() : s.remote_address().to_string() + ":" + std::to_string(s.remote_port)},
        {"state", state_name(s)},
        {"age_seconds", seconds(now - s.created)},
        {"expires_in_seconds", seconds(s.expires - now)},
    });
  });
  nlohmann::json bindings = nlohmann::json::array();
  for (auto& [b, sessions] : sessions_of) {
    bindings.push_back({
        {"protocol", to_string(b->proto)},
        {"ipv6", v6_endpoint(*b)},
        {"pool_port", b->pool_port},
        {"created_by", to_string(b->created_by)},
        {"age_seconds", seconds(now - b->created)},
        {"session_count", b->sessions},
        {"sessions", std::move(sessions)},
    });
  }
  // Fates and events apart: the fates add up to the packets read, events
  // do not count packets.
  nlohmann::json fates = nlohmann::json::object();
  nlohmann::json events = nlohmann::json::object();
  for (std::size_t i = 0; i < kCounterCount; ++i) {
    auto id = static_cast<Counter>(i);
    (is_fate(id) ? fates : events)[std::string(counter_name(id))] = t.counters().get(id);
  }
  // Per server only: who accepted a bypass tunnel (docs/protocol.md 8.7).
  nlohmann::json bypass_servers = nlohmann::json::array();
  for (const auto& a : t.bypass_accepted()) {
    Bytes4 server{};
    store32(server.data(), a.server);
    bypass_servers.push_back({{"server", net::IpAddress::v4(server).to_string()},
                              {"vni", t.bypass_vni(server)},
                              {"tunnel_mac", fmt::format("{:02x}", fmt::join(a.mac, ":"))},
                              {"last_heard_seconds", seconds(now - a.last_heard)}});
  }
  return {
      {"tun", info.tun},
      {"pid", info.pid},
      {"uptime_seconds", info.uptime_seconds},
      {"offload", info.offload},
      {"prefix", c.prefix.to_string()},
      {"pool", c.pool.to_string()},
      {"ipv6_address", t.ipv6_address().to_string()},
      {"mtu", c.mtu},
      {"timeouts",
       {{"udp", c.timeouts.udp.count()},
        {"udp_initial", c.timeouts.udp_initial.count()},
        {"icmp", c.timeouts.icmp.count()},
        {"tcp", c.timeouts.tcp_established.count()},
        {"tcp_trans", c.timeouts.tcp_transitory.count()}}},
      {"extension",
       {{"enabled", t.extension_enabled()},
        {"geneve_port", c.geneve_port},
        {"option_class", hex(c.option_id.option_class, 4)},
        {"option_type", hex(c.option_id.type, 2)},
        {"allow", allow},
        {"rate", c.rate},
        {"burst", c.burst}}},
      {"bypass",
       {{"enabled", t.bypass_enabled()},
        {"offer_interval_seconds", c.bypass.limits.offer_interval.count()},
        {"offer_rate", c.bypass.limits.offer_rate},
        {"max_servers", c.bypass.limits.max_servers},
        {"accepted", std::move(bypass_servers)}}},
      {"usage",
       {{"ipv6_per_32", usage_rows(t.usage_v6(), v6_slash32, true, max_sessions_listed)},
        {"ipv6_other", usage_count(t.usage_v6().other())},
        {"unmapped_ipv4_per_24", usage_rows(t.unmapped_v4(), v4_slash24, false, max_sessions_listed)},
        {"unmapped_ipv4_other", usage_count(t.unmapped_v4().other())},
        {"prefix_rate_bytes_per_second", c.prefix_rate}}},
      {"max_sessions", c.max_sessions},
      {"binding_count", t.table().binding_count()},
      {"session_count", t.table().session_count()},
      {"sessions_listed", listed},
      {"bindings", std::move(bindings)},
      {"packets_read", t.counters().packets()},
      {"fates", std::move(fates)},
      {"events", std::move(events)},
  };
}

std::string render_status(const nlohmann::json& d) {
  std::string out;
  const auto& ext = d.at("extension");
  out += fmt::format("{}: NAT64 {} <-> pool {} (gateway {}), mtu {}, up {:.0f} s, pid {}\n",
                     d.at("tun").get<std::string>(), d.at("prefix").get<std::string>(), d.at("pool").get<std::string>(),
                     d.at("ipv6_address").get<std::string>(), d.at("mtu").get<unsigned>(),
                     d.at("uptime_seconds").get<double>(), d.at("pid").get<long>());
  if (d.contains("offload")) out += fmt::format("offload: {}\n", d.at("offload").get<std::string>());
  if (ext.at("enabled").get<bool>()) {
    std::string allow;
    for (const auto& a : ext.at("allow")) allow += (allow.empty() ? "" : ", ") + a.get<std::string>();
    out += fmt::format("extension: on, GENEVE port {}, option {}/{}, allow {}, rate {}/s burst {}\n",
                       ext.at("geneve_port").get<unsigned>(), ext.at("option_class").get<std::string>(),
                       ext.at("option_type").get<std::string>(), allow, ext.at("rate").get<double>(),
                       ext.at("burst").get<double>());
  } else {
    out += "extension: off (no --allow prefix)\n";
  }
  if (d.contains("bypass") && d.at("bypass").at("enabled").get<bool>()) {
    const auto& bp = d.at("bypass");
    out += fmt::format("bypass: on, {} server(s) accepted\n", bp.at("accepted").size());
    for (const auto& a : bp.at("accepted"))
      out += fmt::format("  server {} VNI {} tunnel MAC {} heard {:.1f} s ago\n", a.at("server").get<std::string>(),
                         a.at("vni").get<std::uint32_t>(), a.at("tunnel_mac").get<std::string>(),
                         a.at("last_heard_seconds").get<double>());
  }
  out += fmt::format("bindings {}, sessions {} of {}{}\n", d.at("binding_count").get<std::size_t>(),
                     d.at("session_count").get<std::size_t>(), d.at("max_sessions").get<std::size_t>(),
                     d.at("sessions_listed").get<std::size_t>() < d.at("session_count").get<std::size_t>()
                         ? fmt::format(" (first {} listed)", d.at("sessions_listed").get<std::size_t>())
                         : "");
  for (const auto& b : d.at("bindings")) {
    out += fmt::format("  {:<4} {} <-> pool port {} ({}, {:.0f} s)\n", b.at("protocol").get<std::string>(),
                       b.at("ipv6").get<std::string>(), b.at("pool_port").get<unsigned>(),
                       b.at("created_by").get<std::string>(), b.at("age_seconds").get<double>());
    for (const auto& s : b.at("sessions"))
      out += fmt::format("       -> {:<21} {:<11} age {:.0f} s, expires in {:.0f} s\n",
                         s.at("remote").get<std::string>(), s.at("state").get<std::string>(),
                         s.at("age_seconds").get<double>(), s.at("expires_in_seconds").get<double>());
  }
  out += fmt::format("packets read {}, by fate (non-zero):\n", d.at("packets_read").get<std::uint64_t>());
  render_non_zero(d.at("fates"), out);
  out += "events (non-zero):\n";
  render_non_zero(d.at("events"), out);
  return out;
}

}  // namespace gn::nat64
