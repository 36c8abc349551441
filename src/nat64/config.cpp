#include "nat64/config.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "config/values.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
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
};

constexpr Setting kSettings[] = {
    {"tun", "NAME", "TUN device to create (default nat64)"},
    {"prefix", "PREFIX", "NAT64 prefix, RFC 6052 length 32/40/48/56/64/96 (required; e.g. 2001:db8:64::/96)"},
    {"pool", "ADDRESS", "public IPv4 address of the gateway (required)"},
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
    {"offload", "on|off", "TCP segmentation and checksum offload on the TUN device (default on)"},
    {"usage_log_interval", "S", "seconds between usage log lines per /32 and /24 (default 300, 0: none)"},
    {"geneve_port", "N", "GENEVE UDP port for the extension (default 6081)"},
    {"allow", "PREFIX", "IPv6 prefix the routing option may deliver to (repeatable; none: the extension is off)"},
    {"rate", "PPS", "routing-option state creations per second per IPv4 source (default 10)"},
    {"burst", "N", "... with bursts of N (default 20)"},
    {"option_class", "N", "routing option class (default 0x0162)"},
    {"option_type", "N", "routing option type, 0..0x7f (default 0x01)"},
    {"bypass", "on|off", "NAT64 bypass: offer IPv4 servers GENEVE tunnels to the real IPv6 clients (default off)"},
    {"bypass_secret", "FILE",
     "the bypass's persistent secret, created when absent (default /var/lib/geneve-nat64/bypass.key)"},
    {"bypass_offer_interval", "S", "seconds between offers to a server that does not answer (default 60)"},
    {"bypass_offer_rate", "N", "bypass offers per second, all servers together (default 100)"},
    {"bypass_max_servers", "N", "servers the bypass tracks at once (default 65536)"},
    {"bypass_mac_rotation", "S", "seconds between changes of the gateway's bypass MACs (default 86400)"},
    {"run_dir", "DIR",
     "names the status socket: abstract @DIR/NAME.sock, per network namespace (default /run/geneve-nat64)"},
    {"log_level", "LEVEL", "debug | info | warn | error (default info)"},
};

bool known_key(std::string_view key) {
  return std::any_of(std::begin(kSettings), std::end(kSettings), [&](const Setting& s) { return s.key == key; });
}

std::string key_to_name(std::string_view key) {
  std::string name(key);
  std::replace(name.begin(), name.end(), '_', '-');
  return name;
}

std::string key_to_flag(std::string_view key) {
  return "--" + key_to_name(key);
}

net::IpPrefix parse_allow(const std::string& text) {
  net::IpPrefix p = net::IpPrefix::parse(text);
  auto addr = net::IpAddress::parse(std::string_view(text).substr(0, text.find('/')));
  if (!addr || !addr->is_v6()) throw UsageError("allow prefix '" + text + "' must be an IPv6 prefix");
  return p;
}

// A flag's setting; flags are applied after the --config file, so they are
// collected first.
struct Flag {
  std::string key;
  std::string value;
};

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

void apply_config_json(GatewayConfig& c, const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) throw UsageError(origin + ": must be a JSON object");
  for (const auto& item : doc.items()) {
    // Named copies rather than structured bindings: lambdas capture them
    // (clang 14 cannot capture structured bindings).
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    if (!known_key(key)) throw UsageError(origin + ": unknown key '" + key + "'");
    auto scalar = [&](const nlohmann::json& v) -> std::string {
      // Numbers may also be written as strings ("0x0162").
      if (v.is_string()) return v.get<std::string>();
      if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
      throw UsageError(origin + ": key '" + key + "' must be a string or a non-negative integer, not " + v.dump());
    };
    try {
      if (key == "allow") {
        if (!value.is_array()) throw UsageError("must be a list of IPv6 prefixes");
        c.allow.clear();
        for (const auto& entry : value) {
          if (!entry.is_string()) throw UsageError("must be a list of IPv6 prefixes, not " + value.dump());
          apply_setting(c, key, entry.get<std::string>());
        }
      } else {
        apply_setting(c, key, scalar(value));
      }
    } catch (const UsageError& e) {
      std::string what = e.what();
      if (what.rfind(origin, 0) == 0) throw;
      throw UsageError(origin + ": key '" + key + "': " + what);
    }
  }
}

namespace {

Option help_option(GatewayCommand& cmd) {
  Option o = flag("help", "show this help and exit", [&cmd] { cmd.action = GatewayCommand::Action::kHelp; });
  o.short_name = 'h';
  return o;
}

// The run options, writing flags and the config file name. Shared by the
// parser and --help.
OptionParser gateway_options(GatewayCommand& cmd, std::vector<Flag>& flags, std::optional<std::string>& config_file) {
  OptionParser p({});
  for (const Setting& s : kSettings) {
    p.add(value(key_to_name(s.key), std::string(s.metavar), std::string(s.help),
                [&flags, key = std::string(s.key)](const std::string& v) {
                  flags.push_back({key, v});
                }));
  }
  p.add(value("config", "FILE", "JSON object with the keys above (allow: a list); flags override it",
              [&config_file](const std::string& v) { config_file = v; })
            .only_once());
  p.add(help_option(cmd));
  p.add(flag("version", "show the version and exit", [&cmd] { cmd.action = GatewayCommand::Action::kVersion; }));
  return p;
}

GatewayCommand parse_status_command(const std::vector<std::string>& args) {
  GatewayCommand cmd;
  cmd.action = GatewayCommand::Action::kStatus;
  OptionParser p({});
  p.add(value("tun", "NAME", "", [&](const std::string& v) { apply_setting(cmd.config, "tun", v); }));
  p.add(value("run-dir", "DIR", "", [&](const std::string& v) { apply_setting(cmd.config, "run_dir", v); }));
  p.add(flag("json", "", [&] { cmd.json = true; }));
  p.add(help_option(cmd));
  try {
    auto positional = p.parse({args.begin() + 1, args.end()});
    if (!positional.empty()) throw UsageError("unexpected argument '" + positional[0] + "' (see --help)");
  } catch (const UsageError& e) {
    throw UsageError(std::string("status: ") + e.what());
  }
  return cmd;
}

}  // namespace

GatewayCommand parse_gateway_command(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "status") return parse_status_command(args);
  GatewayCommand cmd;
  std::vector<Flag> flags;
  std::optional<std::string> config_file;
  auto positional = gateway_options(cmd, flags, config_file).parse(args);
  if (cmd.action != GatewayCommand::Action::kRun) return cmd;
  if (!positional.empty()) throw UsageError("unexpected argument '" + positional[0] + "' (see --help)");

  GatewayConfig& c = cmd.config;
  if (config_file) {
    std::string text = read_user_file(*config_file, "config file");
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw UsageError("config file " + *config_file + " is not valid JSON: " + e.what());
    }
    apply_config_json(c, doc, "config file " + *config_file);
  }
  // Flags override the file; --allow flags replace the file's list.
  bool allow_from_flags = false;
  for (const Flag& f : flags) {
    if (f.key == "allow" && !allow_from_flags) {
      c.allow.clear();
      allow_from_flags = true;
    }
    try {
      apply_setting(c, f.key, f.value);
    } catch (const UsageError& e) {
      throw UsageError(key_to_flag(f.key) + ": " + e.what());
    }
  }
  if (!c.prefix) throw UsageError("--prefix (the NAT64 prefix, e.g. 2001:db8:64::/96) is required");
  if (!c.pool) throw UsageError("--pool (the public IPv4 address) is required");
  return cmd;
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
  std::vector<Flag> flags;
  std::optional<std::string> config_file;
  return head + gateway_options(unused, flags, config_file).help() + R"(
SIGINT or SIGTERM removes the TUN device and exits 0.
)";
}

}  // namespace gn::nat64
