#include "config/settings_json.hpp"

#include <fmt/format.h>

#include "config/values.hpp"

namespace gn::config {
namespace {

nlohmann::ordered_json strings(const std::vector<std::string>& v) {
  return v.empty() ? nlohmann::ordered_json::array() : nlohmann::ordered_json(v);
}

nlohmann::ordered_json prefixes(const std::vector<net::IpPrefix>& v) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (const auto& p : v) out.push_back(p.to_string());
  return out;
}

nlohmann::ordered_json client_json(const PeerSpec& p, bool shared) {
  nlohmann::ordered_json j = {{"name", p.name}, {"vni", p.vni}, {"remote", p.remote.to_string()}};
  if (p.key_file) j["key_file"] = *p.key_file;
  if (shared) {
    j["allowed_ips"] = prefixes(p.allowed_ips);
  } else {
    j["ifname"] = p.ifname;
    j["address"] = strings(p.addresses);
  }
  return j;
}

}  // namespace

nlohmann::ordered_json settings_json(const EndpointConfig& c) {
  nlohmann::ordered_json j = {{"mode", c.command}};
  if (c.clients.empty()) {
    j["vni"] = c.vni;
    j["local"] = c.local.to_string();
    if (c.mode != Mode::kServer) j["path"] = c.path_text;
    j["remote"] = c.remote.to_string();
    j["ifname"] = c.ifname;
    j["address"] = strings(c.addresses);
  } else {
    j["local"] = c.local.to_string();
    if (c.shared_interface)
      j["interface"] = {{"ifname", c.shared_interface->ifname}, {"address", strings(c.shared_interface->addresses)}};
    nlohmann::ordered_json clients = nlohmann::ordered_json::array();
    for (const auto& p : c.clients) clients.push_back(client_json(p, c.shared_interface.has_value()));
    j["clients"] = std::move(clients);
  }
  if (!c.name.empty()) j["name"] = c.name;
  if (c.discover_nat64_prefixes) {
    j["nat64_prefix"] = nlohmann::ordered_json::array({"auto"});
  } else if (!c.nat64_prefixes.empty()) {
    nlohmann::ordered_json prefixes = nlohmann::ordered_json::array();
    for (const auto& p : c.nat64_prefixes) prefixes.push_back(p.to_string());
    j["nat64_prefix"] = std::move(prefixes);
  }
  if (c.mtu != 0) j["mtu"] = c.mtu;
  if (c.key_file) j["key_file"] = *c.key_file;
  j["keepalive"] = std::chrono::duration_cast<std::chrono::seconds>(c.timing.keepalive).count();
  j["dead_after"] = c.timing.dead_after;
  j["port"] = c.port;
  j["source_port"] = c.source_port;
  j["no_route_option"] = !c.route_option;
  j["option_class"] = fmt::format("{:#06x}", c.option_id.option_class);
  j["option_type"] = fmt::format("{:#04x}", c.option_id.type);
  j["dataplane"] = to_string(c.dataplane);
  j["no_offload"] = !c.offloads;
  j["run_dir"] = c.run_dir;
  j["log_level"] = log_level_name(c.log_level);
  return j;
}

}  // namespace gn::config
