#include "nat64/config.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/values.hpp"
#include "util/config_file.hpp"
#include "util/error.hpp"
#include "util/options.hpp"

namespace gn::nat64 {
namespace {

using config::parse_uint;

constexpr std::uint32_t kMaxTimeout = 86400;

// Every setting: a flag (--geneve-port) and a --config key (geneve_port).
// The flags, the file's keys and the options part of --help all come from
// this one table.
struct Setting {
  std::string_view key;
  std::string_view metavar;
  std::string_view help;
  // The JSON value of its key: a number (or a string such as "0x0162"),
  // unless the table says otherwise.
  FileValue file = FileValue::kNumber;
};

constexpr FileValue kString = FileValue::kString;

constexpr Setting kSettings[] = {
    {"tun", "NAME", "TUN device to create (default nat64)", kString},
    {"prefix", "PREFIX", "NAT64 prefix, RFC 6052 length 32/40/48/56/64/96 (required; e.g. 2001:db8:64::/96)", kString},
    {"pool", "ADDRESS", "public IPv4 address of the gateway (required)", kString},
    {"mtu", "N", "MTU of the TUN device, 1280..65535 (default 1500)"},
    {"max_sessions", "N",
     "session table size (default 65536); when full, new sessions are refused (counted table_full)"},
    {"udp_timeout", "S", "UDP session timeout once traffic went both ways (default 120)"},
    {"udp_initial_timeout", "S", "UDP session timeout before that (default 30)"},
    {"icmp_timeout", "S", "ICMP query session timeout (default 60)"},
    {"tcp_timeout", "S", "TCP established session timeout (default 7440, RFC 6146's minimum)"},
    {"tcp_trans_timeout", "S", "TCP transitory session timeout: opening, closing, reset (default 240)"},
    {"prefix_rate", "MBIT", "bandwidth per IPv6 /32, Mbit/s both ways together (default 0: no limit)"},
    {"max_fragment_datagrams", "N", "fragmented datagrams reassembled at once (default 1024, 0: fragments dropped)"},
    {"fragment_timeout", "S", "seconds a fragmented datagram may take to arrive whole (default 5)"},
    {"offload", "on|off", "TCP segmentation and checksum offload on the TUN device (default on)", kString},
    {"usage_log_interval", "S", "seconds between usage log lines per /32 and /24 (default 300, 0: none)"},
    {"geneve_port", "N", "GENEVE UDP port for the extension (default 6081)"},
    {"allow", "PREFIX", "IPv6 prefix the routing option may deliver to (repeatable; none: the extension is off)",
     FileValue::kList},
    {"rate", "PPS", "routing-option state creations per second per IPv4 source (default 10)"},
    {"burst", "N", "... with bursts of N (default 20)"},
    {"option_class", "N", "routing option class (default 0x0162)"},
    {"option_type", "N", "routing option type, 0..0x7f (default 0x01)"},
    {"bypass", "on|off", "NAT64 bypass: offer IPv4 servers GENEVE tunnels to the real IPv6 clients (default off)",
     kString},
    {"bypass_secret", "FILE",
     "the bypass's persistent secret, created when absent (default /var/lib/geneve-nat64/bypass.key)", kString},
    {"bypass_offer_interval", "S", "seconds between offers to a server that does not answer (default 60)"},
    {"bypass_offer_rate", "N", "bypass offers per second, all servers together (default 100)"},
    {"bypass_max_servers", "N", "servers the bypass tracks at once (default 65536)"},
    {"bypass_mac_rotation", "S", "seconds between changes of the gateway's bypass MACs (default 86400)"},
    {"run_dir", "DIR",
     "names the status socket: abstract @DIR/NAME.sock, per network namespace (default /run/geneve-nat64)", kString},
    {"log_level", "LEVEL", "debug | info | warn | error (default info)", kString},
};

net::IpPrefix parse_allow(const std::string& text) {
  net::IpPrefix p = net::IpPrefix::parse(text);
  auto addr = net::IpAddress::parse(std::string_view(text).substr(0, text.find('/')));
  if (!addr || !addr->is_v6()) throw UsageError("allow prefix '" + text + "' must be an IPv6 prefix");
  return p;
}

}  // namespace

TranslatorConfig GatewayConfig::translator_config() const {
  return TranslatorConfig{
      .prefix = *prefix,
      .pool = *pool,
      .geneve_port = geneve_port,
      .option_id = option_id,
      .allow = allow,
      .rate = static_cast<double>(rate),
      .burst = static_cast<double>(burst),
      .mtu = mtu,
      .max_sessions = max_sessions,
      .timeouts = Timeouts{.udp = std::chrono::seconds(udp_timeout),
                           .udp_initial = std::chrono::seconds(udp_initial_timeout),
                           .icmp = std::chrono::seconds(icmp_timeout),
                           .tcp_established = std::chrono::seconds(tcp_timeout),
                           .tcp_transitory = std::chrono::seconds(tcp_trans_timeout)},
      .prefix_rate = static_cast<double>(prefix_rate) * 125000.0,
      .max_usage_prefixes = 65536,  // usage.hpp
      .reassembly = ReassemblyLimits{.max_datagrams = max_fragment_datagrams,
                                     // Room for every datagram at its largest, up to 8 MiB.
                                     .max_bytes = std::min<std::size_t>(std::size_t{max_fragment_datagrams} * 65535,
                                                                        ReassemblyLimits{}.max_bytes),
                                     .timeout = std::chrono::seconds(fragment_timeout)},
      .bypass = BypassConfig{.enabled = bypass,
                             .persistent = {},
                             .limits = BypassLimits{.max_servers = bypass_max_servers,
                                                    .offer_interval = std::chrono::seconds(bypass_offer_interval),
                                                    .offer_rate = static_cast<double>(bypass_offer_rate),
                                                    .alive = BypassLimits{}.alive},
                             .mac_rotation = std::chrono::seconds(bypass_mac_rotation),
                             .message = "NAT64 bypass offer from " + pool->to_string() + " for clients of " +
                                        prefix->to_string() + "; see geneve-bypass(8)"},
  };
}

void apply_setting(GatewayConfig& c, std::string_view key, const std::string& v) {
  if (key == "tun") {
    c.tun = config::parse_ifname(v);
    if (c.tun.find('%') != std::string::npos)
      throw UsageError("TUN name '" + v + "' must be a fixed name (the status socket is named after it)");
  } else if (key == "prefix") {
    c.prefix = net::Nat64Prefix::parse(v);
  } else if (key == "pool") {
    auto a = config::parse_address("pool address", v, net::Family::kV4);
    auto b = a.v4_bytes();
    if (b[0] == 0 || b[0] == 127 || b[0] >= 224)
      throw UsageError("pool address '" + v + "' must be a unicast IPv4 address");
    c.pool = a;
  } else if (key == "geneve_port") {
    c.geneve_port = config::parse_port("GENEVE port", v);
  } else if (key == "allow") {
    c.allow.push_back(parse_allow(v));
  } else if (key == "rate") {
    c.rate = parse_uint("rate", v, 1, 1000000);
  } else if (key == "burst") {
    c.burst = parse_uint("burst", v, 1, 1000000);
  } else if (key == "max_sessions") {
    c.max_sessions = parse_uint("max sessions", v, 1, 1u << 24);
  } else if (key == "mtu") {
    c.mtu = parse_uint("MTU", v, 1280, 65535);
  } else if (key == "udp_timeout") {
    c.udp_timeout = parse_uint("UDP timeout", v, 1, kMaxTimeout);
  } else if (key == "udp_initial_timeout") {
    c.udp_initial_timeout = parse_uint("UDP initial timeout", v, 1, kMaxTimeout);
  } else if (key == "icmp_timeout") {
    c.icmp_timeout = parse_uint("ICMP timeout", v, 1, kMaxTimeout);
  } else if (key == "tcp_timeout") {
    c.tcp_timeout = parse_uint("TCP timeout", v, 1, kMaxTimeout);
  } else if (key == "prefix_rate") {
    c.prefix_rate = parse_uint("prefix rate", v, 0, 1000000);
  } else if (key == "max_fragment_datagrams") {
    c.max_fragment_datagrams = parse_uint("max fragment datagrams", v, 0, 65536);
  } else if (key == "fragment_timeout") {
    c.fragment_timeout = parse_uint("fragment timeout", v, 1, 60);
  } else if (key == "offload") {
    if (v != "on" && v != "off") throw UsageError("offload '" + v + "' must be on or off");
    c.offload = v == "on";
  } else if (key == "bypass") {
    if (v != "on" && v != "off") throw UsageError("bypass '" + v + "' must be on or off");
    c.bypass = v == "on";
  } else if (key == "bypass_secret") {
    if (v.empty()) throw UsageError("bypass secret: a file name is needed");
    c.bypass_secret = v;
  } else if (key == "bypass_offer_interval") {
    c.bypass_offer_interval = parse_uint("bypass offer interval", v, 1, kMaxTimeout);
  } else if (key == "bypass_offer_rate") {
    c.bypass_offer_rate = parse_uint("bypass offer rate", v, 1, 1000000);
  } else if (key == "bypass_max_servers") {
    c.bypass_max_servers = parse_uint("bypass max servers", v, 1, 1u << 24);
  } else if (key == "bypass_mac_rotation") {
    c.bypass_mac_rotation = parse_uint("bypass MAC rotation", v, 60, 30 * kMaxTimeout);
  } else if (key == "usage_log_interval") {
    c.usage_log_interval = parse_uint("usage log interval", v, 0, kMaxTimeout);
  } else if (key == "tcp_trans_timeout") {
    c.tcp_trans_timeout = parse_uint("TCP transitory timeout", v, 1, kMaxTimeout);
  } else if (key == "option_class") {
    c.option_id.option_class = config::parse_option_class(v);
  } else if (key == "option_type") {
    c.option_id.type = config::parse_option_type(v);
  } else if (key == "run_dir") {
    c.run_dir = config::parse_run_dir(v);
  } else if (key == "log_level") {
    c.log_level = config::parse_log_level(v);
  } else {
    throw UsageError("unknown setting '" + std::string(key) + "'");
  }
}

namespace {

// The run options, writing into cmd.config: the flags, the --config file's
// keys and --help all come from this one table.
OptionParser gateway_options(GatewayCommand& cmd) {
  OptionParser p({});
  for (const Setting& s : kSettings) {
    Option o = value(option_name(s.key), std::string(s.metavar), std::string(s.help),
                     [&cmd, key = s.key](const std::string& v) { apply_setting(cmd.config, key, v); });
    o.file = s.file;
    if (s.file == FileValue::kList) o.reset = [&cmd] { cmd.config.allow.clear(); };
    p.add(std::move(o));
  }
  add_daemon_options(p, "geneve-nat64-gateway", "allow: a list",
                     [&cmd] { cmd.action = GatewayCommand::Action::kCheck; });
  return p;
}

GatewayCommand parse_status_command(const std::vector<std::string>& args) {
  GatewayCommand cmd;
  cmd.action = GatewayCommand::Action::kStatus;
  OptionParser p({});
  p.add(value("tun", "NAME", "", [&](const std::string& v) { apply_setting(cmd.config, "tun", v); }));
  p.add(value("run-dir", "DIR", "", [&](const std::string& v) { apply_setting(cmd.config, "run_dir", v); }));
  p.add(flag("json", "", [&] { cmd.json = true; }));
  p.add(help_flag([&cmd] { cmd.action = GatewayCommand::Action::kHelp; }));
  parse_subcommand(p, args);
  return cmd;
}

}  // namespace

GatewayCommand parse_gateway_command(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "status") return parse_status_command(args);
  GatewayCommand cmd;
  OptionParser options = gateway_options(cmd);
  switch (parse_daemon_args(options, args, "geneve-nat64-gateway")) {
    case DaemonArgs::kHelp: cmd.action = GatewayCommand::Action::kHelp; return cmd;
    case DaemonArgs::kVersion: cmd.action = GatewayCommand::Action::kVersion; return cmd;
    case DaemonArgs::kRun: break;
  }
  const GatewayConfig& c = cmd.config;
  if (!c.prefix) throw UsageError("--prefix (the NAT64 prefix, e.g. 2001:db8:64::/96) is required");
  if (!c.pool) throw UsageError("--pool (the public IPv4 address) is required");
  return cmd;
}

nlohmann::ordered_json settings_json(const GatewayConfig& c) {
  const auto on_off = [](bool b) { return b ? "on" : "off"; };
  nlohmann::ordered_json allow = nlohmann::ordered_json::array();
  for (const auto& a : c.allow) allow.push_back(a.to_string());
  return {
      {"mode", "geneve-nat64-gateway"},
      {"tun", c.tun},
      {"prefix", c.prefix ? c.prefix->to_string() : std::string()},
      {"pool", c.pool ? c.pool->to_string() : std::string()},
      {"mtu", c.mtu},
      {"max_sessions", c.max_sessions},
      {"udp_timeout", c.udp_timeout},
      {"udp_initial_timeout", c.udp_initial_timeout},
      {"icmp_timeout", c.icmp_timeout},
      {"tcp_timeout", c.tcp_timeout},
      {"prefix_rate", c.prefix_rate},
      {"max_fragment_datagrams", c.max_fragment_datagrams},
      {"fragment_timeout", c.fragment_timeout},
      {"offload", on_off(c.offload)},
      {"usage_log_interval", c.usage_log_interval},
      {"tcp_trans_timeout", c.tcp_trans_timeout},
      {"geneve_port", c.geneve_port},
      {"allow", allow},
      {"rate", c.rate},
      {"burst", c.burst},
      {"option_class", fmt::format("{:#06x}", c.option_id.option_class)},
      {"option_type", fmt::format("{:#04x}", c.option_id.type)},
      {"bypass", on_off(c.bypass)},
      {"bypass_secret", c.bypass_secret},
      {"bypass_offer_interval", c.bypass_offer_interval},
      {"bypass_offer_rate", c.bypass_offer_rate},
      {"bypass_max_servers", c.bypass_max_servers},
      {"bypass_mac_rotation", c.bypass_mac_rotation},
      {"run_dir", c.run_dir},
      {"log_level", config::log_level_name(c.log_level)},
  };
}

std::string gateway_usage() {
  std::string head = R"(Usage: geneve-nat64-gateway --prefix PREFIX --pool ADDRESS [OPTIONS]
       geneve-nat64-gateway status [--tun NAME] [--json] [--run-dir DIR]

A stateful NAT64 (RFC 6146, RFC 7915) for UDP and ICMP on a TUN device, with
the GENEVE NAT64 routing-option extension (docs/protocol.md 3.3). Route the
NAT64 prefix and the pool address to the TUN device; the gateway answers for
the pool address itself (it is not configured on any interface).

Options (each is also a --config key, with '_' for '-'):
)";
  GatewayCommand unused;
  return head + gateway_options(unused).help() + R"(
SIGINT or SIGTERM removes the TUN device and exits 0.
)";
}

}  // namespace gn::nat64
