#pragma once
// geneve-bypass configuration: flags and a JSON --config file with the same
// keys (flag --flow-timeout is key "flow_timeout"; --gateway, repeatable, is
// the list "gateway"), read through the shared option table
// (util/config_file.hpp); flags override the file. Pure apart from reading
// the file; throws UsageError with one line naming the bad flag or the
// key's path, before anything is created.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bypass/server.hpp"
#include "util/log.hpp"

namespace gn::bypass {

struct DaemonConfig {
  std::string tun = "bypass0";
  std::vector<TrustedGateway> gateways;
  bool trust_any = false;
  std::optional<Ipv4> address;
  std::uint16_t port = 6081;
  std::uint32_t mtu = 1500;  // of the IPv4 path; the tunnel's is 54 bytes less
  std::uint32_t max_flows = FlowTable::kDefaultCapacity;
  std::uint32_t flow_timeout = 300;  // seconds
  std::uint32_t keepalive = 10;      // seconds
  std::uint32_t table = 6081;        // the routing table of the tunnel's default route
  std::uint32_t rule_priority = 6081;
  std::uint32_t fallback_priority = 32800;  // 0: no fallback rule
  std::string state_dir = "/var/lib/geneve-bypass";
  std::string run_dir = "/run/geneve-nat64";
  std::string log_file;  // the connection log also goes here (appended)
  log::Level log_level = log::Level::kInfo;

  ServerConfig server_config() const;
};

struct DaemonCommand {
  enum class Action { kRun, kStatus, kHelp, kVersion, kCheck } action = Action::kRun;
  DaemonConfig config;
  bool json = false;
};

// args excludes argv[0]; "status" first selects the status client.
DaemonCommand parse_daemon_command(const std::vector<std::string>& args);
// The settings as a --config file ("mode": "geneve-bypass"), what
// --check-config prints; read back, it gives the same settings.
nlohmann::ordered_json settings_json(const DaemonConfig& c);
std::string daemon_usage();

}  // namespace gn::bypass
