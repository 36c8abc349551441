#include "bypass/daemon_config.hpp"

#include <nlohmann/json.hpp>
#include <string_view>

#include "config/values.hpp"
#include "net/address.hpp"
#include "util/config_file.hpp"
#include "util/error.hpp"
#include "util/options.hpp"

namespace gn::bypass {
namespace {

using config::parse_uint;

// Every setting: a flag (--flow-timeout) and a --config key (flow_timeout).
// The flags, the file's keys and the options part of --help all come from
// this one table.
struct Setting {
  std::string_view key;
  std::string_view metavar;  // "" for an on/off switch (a flag; true/false in the file)
  std::string_view help;
  FileValue file = FileValue::kNumber;  // the JSON type of its key
};

constexpr FileValue kString = FileValue::kString;

constexpr Setting kSettings[] = {
    {"gateway", "ADDR[/LEN]", "a NAT64 gateway to trust, with its NAT64 prefix length (default 96); repeatable",
     FileValue::kList},
    {"trust_any", "", "answer offers from any gateway (logged as a warning: anyone can then offer)", FileValue::kFlag},
    {"address", "ADDRESS", "this server's IPv4 address as gateways see it (default: the address offers arrive at)",
     kString},
    {"tun", "NAME", "TUN device to create (default bypass0)", kString},
    {"port", "N", "GENEVE UDP port (default 6081)"},
    {"mtu", "N", "MTU of the IPv4 path, 1334..65535 (default 1500); the tunnel's is 54 bytes less"},
    {"max_flows", "N", "connection table size per gateway (default 64508, as the NAT64 handoff server)"},
    {"flow_timeout", "S", "seconds a client flow may be idle before it is deleted (default 300)"},
    {"keepalive", "S", "seconds between keepalives to each gateway, 1..25 (default 10)"},
    {"table", "N", "routing table for the tunnel's default route (default 6081)"},
    {"rule_priority", "N", "priority of the rules 'from P::S lookup TABLE' (default 6081)"},
    {"fallback_priority", "N",
     "priority of 'lookup TABLE' for packets no other table routes (default 32800, after main; 0: none)"},
    {"state_dir", "DIR", "where accepted gateways are remembered (default /var/lib/geneve-bypass)", kString},
    {"run_dir", "DIR",
     "names the status socket: abstract @DIR/TUN.sock, per network namespace (default /run/geneve-nat64)", kString},
    {"log_file", "FILE", "append the connection log (Created/Deleted lines) to FILE too", kString},
    {"log_level", "LEVEL", "debug, info, warn or error (default info)", kString},
};

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
    c.trust_any = true;
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

// The run options, writing into cmd.config.
OptionParser daemon_options(DaemonCommand& cmd) {
  OptionParser p({});
  for (const Setting& s : kSettings) {
    const auto apply = [&cmd, key = s.key](const std::string& v) { apply_setting(cmd.config, key, v); };
    Option o = s.metavar.empty() ? flag(option_name(s.key), std::string(s.help), [apply] { apply("true"); })
                                 : value(option_name(s.key), std::string(s.metavar), std::string(s.help), apply);
    o.file = s.file;
    if (s.file == FileValue::kList) o.reset = [&cmd] { cmd.config.gateways.clear(); };
    p.add(std::move(o));
  }
  add_daemon_options(p, "geneve-bypass", "gateway: a list", [&cmd] { cmd.action = DaemonCommand::Action::kCheck; });
  return p;
}

DaemonCommand parse_status_command(const std::vector<std::string>& args) {
  DaemonCommand cmd;
  cmd.action = DaemonCommand::Action::kStatus;
  OptionParser p({});
  p.add(value("tun", "NAME", "", [&](const std::string& v) { apply_setting(cmd.config, "tun", v); }));
  p.add(value("run-dir", "DIR", "", [&](const std::string& v) { apply_setting(cmd.config, "run_dir", v); }));
  p.add(flag("json", "", [&] { cmd.json = true; }));
  p.add(help_flag([&cmd] { cmd.action = DaemonCommand::Action::kHelp; }));
  parse_subcommand(p, args);
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
  const OptionParser options = daemon_options(cmd);
  switch (parse_daemon_args(options, args, "geneve-bypass")) {
    case DaemonArgs::kHelp: cmd.action = DaemonCommand::Action::kHelp; return cmd;
    case DaemonArgs::kVersion: cmd.action = DaemonCommand::Action::kVersion; return cmd;
    case DaemonArgs::kRun: break;
  }
  const DaemonConfig& c = cmd.config;
  if (c.gateways.empty() && !c.trust_any) throw UsageError("no gateway to trust: give --gateway ADDR (or --trust-any)");
  return cmd;
}

nlohmann::ordered_json settings_json(const DaemonConfig& c) {
  nlohmann::ordered_json gateways = nlohmann::ordered_json::array();
  for (const auto& g : c.gateways)
    gateways.push_back(net::IpAddress::v4(g.address).to_string() + "/" + std::to_string(g.prefix_length));
  nlohmann::ordered_json j = {{"mode", "geneve-bypass"}, {"gateway", gateways}, {"trust_any", c.trust_any}};
  // Unset optional keys are left out: the file reads back to the same settings.
  if (c.address) j["address"] = net::IpAddress::v4(*c.address).to_string();
  j["tun"] = c.tun;
  j["port"] = c.port;
  j["mtu"] = c.mtu;
  j["max_flows"] = c.max_flows;
  j["flow_timeout"] = c.flow_timeout;
  j["keepalive"] = c.keepalive;
  j["table"] = c.table;
  j["rule_priority"] = c.rule_priority;
  j["fallback_priority"] = c.fallback_priority;
  j["state_dir"] = c.state_dir;
  j["run_dir"] = c.run_dir;
  if (!c.log_file.empty()) j["log_file"] = c.log_file;
  j["log_level"] = config::log_level_name(c.log_level);
  return j;
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
  return head + daemon_options(unused).help() + R"(
SIGINT or SIGTERM sends each gateway a leave, removes the TUN device and the
rules, and exits 0.
)";
}

}  // namespace gn::bypass
