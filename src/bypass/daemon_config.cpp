#include "bypass/daemon_config.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

#include "config/values.hpp"
#include "net/address.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/options.hpp"

namespace gn::bypass {
namespace {

using config::parse_uint;

struct Setting {
  std::string_view key;
  std::string_view metavar;  // "" for an on/off switch (a flag; true/false in the file)
  std::string_view help;
};

constexpr Setting kSettings[] = {
    {"gateway", "ADDR[/LEN]", "a NAT64 gateway to trust, with its NAT64 prefix length (default 96); repeatable"},
    {"trust_any", "", "answer offers from any gateway (logged as a warning: anyone can then offer)"},
    {"address", "ADDRESS", "this server's IPv4 address as gateways see it (default: the address offers arrive at)"},
    {"tun", "NAME", "TUN device to create (default bypass0)"},
    {"port", "N", "GENEVE UDP port (default 6081)"},
    {"mtu", "N", "MTU of the IPv4 path, 1334..65535 (default 1500); the tunnel's is 54 bytes less"},
    {"max_flows", "N", "connection table size per gateway (default 64508, as the NAT64 handoff server)"},
    {"flow_timeout", "S", "seconds a client flow may be idle before it is deleted (default 300)"},
    {"keepalive", "S", "seconds between keepalives to each gateway, 1..25 (default 10)"},
    {"table", "N", "routing table for the tunnel's default route (default 6081)"},
    {"rule_priority", "N", "priority of the rules 'from P::S lookup TABLE' (default 6081)"},
    {"fallback_priority", "N",
     "priority of 'lookup TABLE' for packets no other table routes (default 32800, after main; 0: none)"},
    {"state_dir", "DIR", "where accepted gateways are remembered (default /var/lib/geneve-bypass)"},
    {"run_dir", "DIR", "names the status socket: abstract @DIR/TUN.sock, per network namespace (default /run/geneve-nat64)"},
    {"log_file", "FILE", "append the connection log (Created/Deleted lines) to FILE too"},
    {"log_level", "LEVEL", "debug, info, warn or error (default info)"},
};

bool known_key(std::string_view key) {
  for (const Setting& s : kSettings)
    if (s.key == key) return true;
  return false;
}

std::string key_to_name(std::string_view key) {
  std::string n(key);
  for (char& c : n)
    if (c == '_') c = '-';
  return n;
}

TrustedGateway parse_gateway(const std::string& v) {
  const auto slash = v.find('/');
  TrustedGateway g;
  g.address = config::parse_address("gateway address", v.substr(0, slash), net::Family::kV4).v4_bytes();
  if (slash != std::string::npos) {
    g.prefix_length = static_cast<int>(parse_uint("gateway prefix length", v.substr(slash + 1), 32, 96));
    // The lengths RFC 6052 defines.
    if (g.prefix_length % 8 != 0 || g.prefix_length == 72 || g.prefix_length == 80 || g.prefix_length == 88)
      throw UsageError("gateway '" + v + "': prefix length must be 32, 40, 48, 56, 64 or 96 (RFC 6052)");
  }
  return g;
}

void apply_setting(DaemonConfig& c, std::string_view key, const std::string& v) {
  if (key == "gateway") {
    c.gateways.push_back(parse_gateway(v));
  } else if (key == "trust_any") {
    if (v != "true" && v != "false") throw UsageError("must be true or false");
    c.trust_any = v == "true";
  } else if (key == "address") {
    c.address = config::parse_address("server address", v, net::Family::kV4).v4_bytes();
  } else if (key == "tun") {
    c.tun = config::parse_ifname(v);
    if (c.tun.find('%') != std::string::npos)
      throw UsageError("TUN name '" + v + "' must be a fixed name (the status socket is named after it)");
  } else if (key == "port") {
    c.port = config::parse_port("GENEVE port", v);
  } else if (key == "mtu") {
    c.mtu = parse_uint("MTU", v, 1280 + 54, 65535);
  } else if (key == "max_flows") {
    c.max_flows = parse_uint("max flows", v, 1, 1u << 24);
  } else if (key == "flow_timeout") {
    c.flow_timeout = parse_uint("flow timeout", v, 1, 7 * 86400);
  } else if (key == "keepalive") {
    // Under the gateway's 30 s, with room for a lost one (protocol.md 8.5).
    c.keepalive = parse_uint("keepalive", v, 1, 25);
  } else if (key == "table") {
    c.table = parse_uint("table", v, 1, 0xffffffef);
    if (c.table >= 253 && c.table <= 255) throw UsageError("table " + v + " is one of the kernel's own");
  } else if (key == "rule_priority") {
    c.rule_priority = parse_uint("rule priority", v, 1, 32765);
  } else if (key == "fallback_priority") {
    c.fallback_priority = parse_uint("fallback priority", v, 0, 0xffffffff);
    if (c.fallback_priority != 0 && c.fallback_priority <= 32766)
      throw UsageError("fallback priority " + v + " must come after the main table's rule (32766), or be 0");
  } else if (key == "state_dir") {
    if (v.empty() || v[0] != '/') throw UsageError("state directory '" + v + "' must be an absolute path");
    c.state_dir = v;
  } else if (key == "run_dir") {
    c.run_dir = config::parse_run_dir(v);
  } else if (key == "log_file") {
    if (v.empty()) throw UsageError("log file: a file name is needed");
    c.log_file = v;
  } else if (key == "log_level") {
    c.log_level = config::parse_log_level(v);
  } else {
    throw UsageError("unknown setting '" + std::string(key) + "'");
  }
}

void apply_config_json(DaemonConfig& c, const nlohmann::json& doc, const std::string& origin) {
  if (!doc.is_object()) throw UsageError(origin + ": must be a JSON object");
  for (const auto& item : doc.items()) {
    const std::string& key = item.key();
    const nlohmann::json& value = item.value();
    if (!known_key(key)) throw UsageError(origin + ": unknown key '" + key + "'");
    try {
      if (key == "gateway") {
        if (!value.is_array()) throw UsageError("must be a list of \"ADDR[/LEN]\" strings");
        c.gateways.clear();
        for (const auto& entry : value) {
          if (!entry.is_string()) throw UsageError("must be a list of \"ADDR[/LEN]\" strings, not " + value.dump());
          apply_setting(c, key, entry.get<std::string>());
        }
      } else if (key == "trust_any") {
        if (!value.is_boolean()) throw UsageError("must be true or false, not " + value.dump());
        c.trust_any = value.get<bool>();
      } else if (value.is_string()) {
        apply_setting(c, key, value.get<std::string>());
      } else if (value.is_number_unsigned()) {
        apply_setting(c, key, std::to_string(value.get<std::uint64_t>()));
      } else {
        throw UsageError("must be a string or a non-negative integer, not " + value.dump());
      }
    } catch (const UsageError& e) {
      std::string what = e.what();
      if (what.rfind(origin, 0) == 0) throw;
      throw UsageError(origin + ": key '" + key + "': " + what);
    }
  }
}

struct Flag {
  std::string key;
  std::string value;
};

Option help_option(DaemonCommand& cmd) {
  Option o = flag("help", "show this help and exit", [&cmd] { cmd.action = DaemonCommand::Action::kHelp; });
  o.short_name = 'h';
  return o;
}

OptionParser daemon_options(DaemonCommand& cmd, std::vector<Flag>& flags, std::optional<std::string>& config_file) {
  OptionParser p({});
  for (const Setting& s : kSettings) {
    const std::string key(s.key);
    if (s.metavar.empty()) {
      p.add(flag(key_to_name(s.key), std::string(s.help), [&flags, key] { flags.push_back({key, "true"}); }));
    } else {
      p.add(value(key_to_name(s.key), std::string(s.metavar), std::string(s.help), [&flags, key](const std::string& v) {
        flags.push_back({key, v});
      }));
    }
  }
  p.add(value("config", "FILE", "JSON object with the keys above (gateway: a list); flags override it",
              [&config_file](const std::string& v) { config_file = v; })
            .only_once());
  p.add(flag("check-config", "check the configuration, print it as JSON and exit (creates nothing)",
             [&cmd] { cmd.action = DaemonCommand::Action::kCheck; }));
  p.add(help_option(cmd));
  p.add(flag("version", "show the version and exit", [&cmd] { cmd.action = DaemonCommand::Action::kVersion; }));
  return p;
}

DaemonCommand parse_status_command(const std::vector<std::string>& args) {
  DaemonCommand cmd;
  cmd.action = DaemonCommand::Action::kStatus;
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

ServerConfig DaemonConfig::server_config() const {
  ServerConfig s;
  s.trusted = gateways;
  s.trust_any = trust_any;
  s.address = address;
  s.port = port;
  s.keepalive = std::chrono::seconds(keepalive);
  s.max_flows = max_flows;
  s.flow_timeout = std::chrono::seconds(flow_timeout);
  return s;
}

DaemonCommand parse_daemon_command(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "status") return parse_status_command(args);
  DaemonCommand cmd;
  std::vector<Flag> flags;
  std::optional<std::string> config_file;
  auto positional = daemon_options(cmd, flags, config_file).parse(args);
  if (cmd.action == DaemonCommand::Action::kHelp || cmd.action == DaemonCommand::Action::kVersion) return cmd;
  if (!positional.empty()) throw UsageError("unexpected argument '" + positional[0] + "' (see --help)");
  DaemonConfig& c = cmd.config;
  if (config_file) {
    const std::string text = read_user_file(*config_file, "config file");
    nlohmann::json doc;
    try {
      doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      throw UsageError("config file " + *config_file + " is not valid JSON: " + e.what());
    }
    apply_config_json(c, doc, "config file " + *config_file);
  }
  bool gateways_from_flags = false;
  for (const Flag& f : flags) {
    if (f.key == "gateway" && !gateways_from_flags) {
      c.gateways.clear();
      gateways_from_flags = true;
    }
    try {
      apply_setting(c, f.key, f.value);
    } catch (const UsageError& e) {
      throw UsageError("--" + key_to_name(f.key) + ": " + e.what());
    }
  }
  if (c.gateways.empty() && !c.trust_any) throw UsageError("no gateway to trust: give --gateway ADDR (or --trust-any)");
  return cmd;
}

std::string daemon_usage() {
  std::string head = R"(Usage: geneve-bypass --gateway ADDR[/LEN] [OPTIONS]
       geneve-bypass status [--tun NAME] [--json] [--run-dir DIR]

The server side of the NAT64 bypass (docs/protocol.md 8): answers the
tunnel offers of the NAT64 gateways it trusts, so that their IPv6 clients
reach this IPv4-only host's services with their real IPv6 addresses,
through a TUN device, instead of being translated. Logs each client flow
as the NAT64 handoff server did ("Created [2001:db8::17]:53186").

Options (each is also a --config key, with '_' for '-'):
)";
  DaemonCommand unused;
  std::vector<Flag> flags;
  std::optional<std::string> config_file;
  return head + daemon_options(unused, flags, config_file).help() + R"(
SIGINT or SIGTERM sends each gateway a leave, removes the TUN device and the
rules, and exits 0.
)";
}

}  // namespace gn::bypass
