#pragma once
// geneve-nat64-gateway configuration: command-line flags and a JSON file
// with the same keys (flag --geneve-port is key "geneve_port"), read through
// one option table (util/config_file.hpp). Pure apart from reading the
// --config file; throws UsageError with one line naming the bad flag, or the
// file and the key's path, before anything is created.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "geneve/codec.hpp"
#include "nat64/translator.hpp"
#include "net/address.hpp"
#include "util/log.hpp"

namespace gn::nat64 {

struct GatewayConfig {
  std::string tun = "nat64";
  std::optional<net::Nat64Prefix> prefix;  // required: no default, never 64:ff9b::/96 implicitly
  std::optional<net::IpAddress> pool;      // required
  std::uint16_t geneve_port = geneve::kDefaultPort;
  std::vector<net::IpPrefix> allow;
  std::uint32_t rate = 10;
  std::uint32_t burst = 20;
  std::uint32_t max_sessions = 65536;
  std::uint32_t mtu = 1500;
  std::uint32_t udp_timeout = 120;
  std::uint32_t udp_initial_timeout = 30;
  std::uint32_t icmp_timeout = 60;
  std::uint32_t tcp_timeout = 7440;
  std::uint32_t tcp_trans_timeout = 240;
  std::uint32_t prefix_rate = 0;                // Mbit/s per IPv6 /32, 0: no limit
  std::uint32_t max_fragment_datagrams = 1024;  // 0: fragments dropped
  std::uint32_t fragment_timeout = 5;           // seconds (RFC 6146 allows at least 2)
  bool offload = true;                          // TSO and checksum offload on the TUN device
  std::uint32_t usage_log_interval = 300;       // seconds between usage log lines, 0: none
  geneve::OptionId option_id;
  // The NAT64 bypass (docs/protocol.md 8, docs/gateway.md "Bypass").
  bool bypass = false;
  std::string bypass_secret = "/var/lib/geneve-nat64/bypass.key";
  std::uint32_t bypass_offer_interval = 60;  // seconds
  std::uint32_t bypass_offer_rate = 100;     // offers per second, all servers
  std::uint32_t bypass_max_servers = 65536;
  std::uint32_t bypass_mac_rotation = 86400;  // seconds
  std::string run_dir = "/run/geneve-nat64";
  log::Level log_level = log::Level::kInfo;

  // Everything but the bypass's persistent secret, which the gateway reads
  // from bypass_secret when it starts.
  TranslatorConfig translator_config() const;
};

struct GatewayCommand {
  // kCheck: --check-config, print settings_json() and exit.
  enum class Action { kRun, kStatus, kHelp, kVersion, kCheck } action = Action::kRun;
  GatewayConfig config;
  bool json = false;  // status: print the raw JSON document
};

// args excludes argv[0]. "status" as the first argument selects the status
// client.
GatewayCommand parse_gateway_command(const std::vector<std::string>& args);

// Applies one setting by key ("geneve_port"); for "allow", appends.
void apply_setting(GatewayConfig& config, std::string_view key, const std::string& value);
// The settings as a --config file would give them (--check-config): every
// key, and "mode". Read back, it gives the same settings.
nlohmann::ordered_json settings_json(const GatewayConfig& config);

std::string gateway_usage();

}  // namespace gn::nat64
