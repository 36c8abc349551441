#include "nat64/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "config/cli.hpp"
#include "util/error.hpp"

namespace gn::nat64 {
namespace {

using config::parse_uint;

constexpr std::uint32_t kMaxTimeout = 86400;

// Every key the file and the flags accept (flags spell '_' as '-').
constexpr std::string_view kKeys[] = {"tun",          "prefix",       "pool",         "geneve_port",
                                      "allow",        "rate",         "burst",        "max_sessions",
                                      "mtu",          "udp_timeout",  "udp_initial_timeout",
                                      "icmp_timeout", "option_class", "option_type",  "run_dir",
                                      "log_level"};

bool known_key(std::string_view key) { return std::find(std::begin(kKeys), std::end(kKeys), key) != std::end(kKeys); }

std::string flag_to_key(std::string flag) {
  std::replace(flag.begin(), flag.end(), '-', '_');
  return flag;
}

std::string key_to_flag(std::string key) {
  std::replace(key.begin(), key.end(), '_', '-');
  return "--" + key;
}

net::IpPrefix parse_allow(const std::string& text) {
  net::IpPrefix p = net::IpPrefix::parse(text);
  auto addr = net::IpAddress::parse(std::string_view(text).substr(0, text.find('/')));
  if (!addr || !addr->is_v6()) throw UsageError("allow prefix '" + text + "' must be an IPv6 prefix");
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw UsageError("cannot read config file " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string run_dir_value(const std::string& v) {
  if (v.empty() || v[0] != '/') throw UsageError("run directory '" + v + "' must be an absolute path");
  return v;
}

// A --name value / --name=value scanner. Values are applied after the file,
// so they are collected first.
struct Flag {
  std::string name;
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
      .timeouts = Timeouts{std::chrono::seconds(udp_timeout), std::chrono::seconds(udp_initial_timeout),
                           std::chrono::seconds(icmp_timeout)},
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
  } else if (key == "option_class") {
    c.option_id.option_class = static_cast<std::uint16_t>(parse_uint("option class", v, 0, 0xffff));
  } else if (key == "option_type") {
    // Non-critical only (docs/protocol.md 3): receivers that do not know
    // the option must still accept the packet.
    c.option_id.type = static_cast<std::uint8_t>(parse_uint("option type", v, 0, 0x7f));
  } else if (key == "run_dir") {
    c.run_dir = run_dir_value(v);
  } else if (key == "log_level") {
    if (!log::parse_level(v, c.log_level))
      throw UsageError("log level '" + v + "' is not one of debug, info, warn, error");
  } else {
    throw UsageError("unknown setting '" + std::string(key) + "'");
  }
}

void apply_config_json(GatewayConfig& c, const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) throw UsageError(origin + ": must be a JSON object");
  for (const auto& item : doc.items()) {
    // Named copies rather than structured bindings: lambdas capture them
    // (clang 14 cannot capture structured bindings).
    const std::string key = item.key();
    const nlohmann::json& value = item.value();
    if (!known_key(key)) throw UsageError(origin + ": unknown key '" + key + "'");
    auto scalar = [&](const nlohmann::json& v) -> std::string {
      // Numbers may also be written as strings ("0x0162").
      if (v.is_string()) return v.get<std::string>();
      if (v.is_number_unsigned()) return std::to_string(v.get<std::uint64_t>());
      throw UsageError(origin + ": key '" + key + "' must be a string or a non-negative integer, not " +
                       v.dump());
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

GatewayCommand parse_status_command(const std::vector<std::string>& args) {
  GatewayCommand cmd;
  cmd.action = GatewayCommand::Action::kStatus;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string a = args[i];
    std::string value;
    bool has_value = false;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= args.size()) throw UsageError("option '" + a + "' needs a value");
      return args[++i];
    };
    if (a == "--json" && !has_value) cmd.json = true;
    else if (a == "--help" || a == "-h") cmd.action = GatewayCommand::Action::kHelp;
    else if (a == "--tun") apply_setting(cmd.config, "tun", take());
    else if (a == "--run-dir") apply_setting(cmd.config, "run_dir", take());
    else throw UsageError("status: unknown argument '" + args[i] + "' (see --help)");
  }
  return cmd;
}

}  // namespace

GatewayCommand parse_gateway_command(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "status") return parse_status_command(args);
  GatewayCommand cmd;
  std::vector<Flag> flags;
  std::optional<std::string> config_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      cmd.action = GatewayCommand::Action::kHelp;
      return cmd;
    }
    if (a == "--version") {
      cmd.action = GatewayCommand::Action::kVersion;
      return cmd;
    }
    if (a.size() < 3 || a.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + a + "' (see --help)");
    auto eq = a.find('=');
    std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (name != "config" && !known_key(flag_to_key(name)))
      throw UsageError("unknown option '--" + name + "' (see --help)");
    // Flags use dashes only: --geneve_port is not a flag.
    if (name.find('_') != std::string::npos) throw UsageError("unknown option '--" + name + "' (see --help)");
    std::string value;
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) throw UsageError("option '--" + name + "' needs a value");
      value = args[++i];
    }
    if (name == "config") config_file = value;
    else flags.push_back({flag_to_key(name), value});
  }

  GatewayConfig& c = cmd.config;
  if (config_file) {
    std::string text = read_file(*config_file);
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
    if (f.name == "allow" && !allow_from_flags) {
      c.allow.clear();
      allow_from_flags = true;
    }
    try {
      apply_setting(c, f.name, f.value);
    } catch (const UsageError& e) {
      throw UsageError(key_to_flag(f.name) + ": " + e.what());
    }
  }
  if (!c.prefix) throw UsageError("--prefix (the NAT64 prefix, e.g. 2001:db8:64::/96) is required");
  if (!c.pool) throw UsageError("--pool (the public IPv4 address) is required");
  return cmd;
}

std::string gateway_usage() {
  return R"(Usage: geneve-nat64-gateway --prefix PREFIX --pool ADDRESS [OPTIONS]
       geneve-nat64-gateway status [--tun NAME] [--json] [--run-dir DIR]

A stateful NAT64 (RFC 6146, RFC 7915) for UDP and ICMP on a TUN device, with
the GENEVE NAT64 routing-option extension (docs/protocol.md 3.3). Route the
NAT64 prefix and the pool address to the TUN device; the gateway answers for
the pool address itself (it is not configured on any interface).

Options (each is also a --config key, with '_' for '-'):
  --tun NAME                TUN device to create (default nat64)
  --prefix PREFIX           NAT64 prefix, RFC 6052 length 32/40/48/56/64/96
                            (required; e.g. 2001:db8:64::/96)
  --pool ADDRESS            public IPv4 address of the gateway (required)
  --mtu N                   MTU of the TUN device, 1280..65535 (default 1500)
  --max-sessions N          session table size (default 65536); when full,
                            new sessions are refused (counted table_full)
  --udp-timeout S           UDP session timeout once traffic went both ways
                            (default 120)
  --udp-initial-timeout S   UDP session timeout before that (default 30)
  --icmp-timeout S          ICMP query session timeout (default 60)
  --geneve-port N           GENEVE UDP port for the extension (default 6081)
  --allow PREFIX            IPv6 prefix the routing option may deliver to
                            (repeatable; none: the extension is off)
  --rate PPS                routing-option state creations per second per
                            IPv4 source (default 10)
  --burst N                 ... with bursts of N (default 20)
  --option-class N          routing option class (default 0x0162)
  --option-type N           routing option type, 0..0x7f (default 0x01)
  --run-dir DIR             where the status socket is created
                            (default /run/geneve-nat64)
  --log-level LEVEL         debug | info | warn | error (default info)
  --config FILE             JSON object with the keys above (allow: a list);
                            flags override it
  -h, --help                show this help and exit
  --version                 show the version and exit

SIGINT or SIGTERM removes the TUN device and exits 0.
)";
}

}  // namespace gn::nat64
