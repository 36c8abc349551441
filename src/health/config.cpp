#include "health/config.hpp"

#include <string_view>

#include "config/values.hpp"
#include "util/config_file.hpp"
#include "util/error.hpp"
#include "util/options.hpp"

namespace gn::health {
namespace {

using config::parse_uint;

// Every setting: a flag (--reload-command) and a --config key
// (reload_command). The flags, the file's keys and the options part of
// --help all come from this one table.
struct Setting {
  std::string_view key;
  std::string_view metavar;  // "" for an on/off switch
  std::string_view help;
  FileValue file = FileValue::kNumber;
};

constexpr FileValue kString = FileValue::kString;
constexpr FileValue kList = FileValue::kList;

constexpr Setting kSettings[] = {
    {"prefix", "PREFIX", "a NAT64 prefix to probe and list, RFC 6052 length (e.g. 2001:db8:64:a::/96); repeatable",
     kList},
    {"target", "ADDRESS", "the IPv4 host each prefix's probes go to, through the NAT64 (required)", kString},
    {"probe", "KIND", "icmp (echo requests, the default) or udp (datagrams to an echo service on the target, --port)",
     kString},
    {"port", "N", "the target's UDP echo port for --probe udp (default 7, RFC 862)"},
    {"fragment", "FILE", "the BIND dns64 fragment to keep, for an include inside named's options (required)", kString},
    {"clients", "ELEMENT",
     "clients list of each dns64 statement: any, none, localhost, localnets, an address or a prefix, each may be "
     "negated with '!'; repeatable (default any)",
     kList},
    {"exclude", "PREFIX",
     "exclude list of each dns64 statement: IPv6 prefixes whose AAAA records are synthesized over; repeatable "
     "(default ::/3 4000::/2 8000::/1)",
     kList},
    {"interval", "MS", "milliseconds between the probes of a prefix, 100..3600000 (default 1000)"},
    {"timeout", "MS", "milliseconds a probe may take, at most the interval (default 1000)"},
    {"rise", "N", "answered probes in a row that make a prefix alive, 1..100 (default 2)"},
    {"fall", "N", "lost probes in a row that make a prefix dead, 1..100 (default 3)"},
    {"reload_command", "CMD",
     "run with /bin/sh -c after the fragment changed, at most 10 s (default 'rndc reload'; '' for none)", kString},
    {"run_dir", "DIR",
     "names the status socket: abstract @DIR/nat64-health.sock, per network namespace (default /run/geneve-nat64)",
     kString},
    {"log_level", "LEVEL", "debug, info, warn or error (default info)", kString},
};

void apply_setting(HealthConfig& c, std::string_view key, const std::string& v) {
  if (key == "prefix") {
    try {
      c.prefixes.push_back(net::Nat64Prefix::parse(v));
    } catch (const UsageError& e) {
      throw UsageError("prefix entry '" + v + "': " + e.what());
    }
  } else if (key == "target") {
    c.target = config::parse_address("probe target", v, net::Family::kV4);
  } else if (key == "probe") {
    if (v != "icmp" && v != "udp") throw UsageError("probe '" + v + "' must be icmp or udp");
    c.probe = v == "udp" ? ProbeKind::kUdp : ProbeKind::kIcmp;
  } else if (key == "port") {
    c.port = config::parse_port("UDP echo port", v);
  } else if (key == "fragment") {
    if (v.empty() || v.back() == '/') throw UsageError("fragment: a file name is needed, not '" + v + "'");
    c.fragment = v;
  } else if (key == "clients") {
    c.lists.clients.push_back(client_element(v));
  } else if (key == "exclude") {
    c.lists.exclude.push_back(exclude_element(v));
  } else if (key == "interval") {
    c.policy.interval = std::chrono::milliseconds(parse_uint("interval", v, 100, 3600000));
  } else if (key == "timeout") {
    c.policy.timeout = std::chrono::milliseconds(parse_uint("timeout", v, 10, 3600000));
  } else if (key == "rise") {
    c.policy.rise = parse_uint("rise", v, 1, 100);
  } else if (key == "fall") {
    c.policy.fall = parse_uint("fall", v, 1, 100);
  } else if (key == "reload_command") {
    c.reload_command = v;
  } else if (key == "run_dir") {
    c.run_dir = config::parse_run_dir(v);
  } else if (key == "log_level") {
    c.log_level = config::parse_log_level(v);
  } else {
    throw UsageError("unknown setting '" + std::string(key) + "'");
  }
}

OptionParser health_options(HealthCommand& cmd) {
  OptionParser p({});
  for (const Setting& s : kSettings) {
    const auto apply = [&cmd, key = s.key](const std::string& v) { apply_setting(cmd.config, key, v); };
    Option o = value(option_name(s.key), std::string(s.metavar), std::string(s.help), apply);
    o.file = s.file;
    if (s.key == "prefix") o.reset = [&cmd] { cmd.config.prefixes.clear(); };
    if (s.key == "clients") o.reset = [&cmd] { cmd.config.lists.clients.clear(); };
    if (s.key == "exclude") o.reset = [&cmd] { cmd.config.lists.exclude.clear(); };
    p.add(std::move(o));
  }
  p.add(flag("once",
             "probe until every prefix is alive or dead (or rise/fall probes later), write the fragment, "
             "reload if it changed, print the status and exit: 0 if a prefix is alive, 1 if none",
             [&cmd] { cmd.config.once = true; })
            .not_in_file());
  add_daemon_options(p, "geneve-nat64-health", "prefix, clients, exclude: lists",
                     [&cmd] { cmd.action = HealthCommand::Action::kCheck; });
  return p;
}

HealthCommand parse_status_command(const std::vector<std::string>& args) {
  HealthCommand cmd;
  cmd.action = HealthCommand::Action::kStatus;
  OptionParser p({});
  p.add(value("run-dir", "DIR", "", [&](const std::string& v) { apply_setting(cmd.config, "run_dir", v); }));
  p.add(flag("json", "", [&] { cmd.json = true; }));
  p.add(help_flag([&cmd] { cmd.action = HealthCommand::Action::kHelp; }));
  parse_subcommand(p, args);
  return cmd;
}

}  // namespace

HealthCommand parse_health_command(const std::vector<std::string>& args) {
  if (!args.empty() && args[0] == "status") return parse_status_command(args);
  HealthCommand cmd;
  // Defaults through the same checks as given values (canonical text).
  cmd.config.lists = Dns64Lists{{}, {}};
  for (const char* e : {"::/3", "4000::/2", "8000::/1"}) cmd.config.lists.exclude.push_back(exclude_element(e));
  cmd.config.lists.clients.emplace_back("any");
  const OptionParser options = health_options(cmd);
  switch (parse_daemon_args(options, args, "geneve-nat64-health")) {
    case DaemonArgs::kHelp: cmd.action = HealthCommand::Action::kHelp; return cmd;
    case DaemonArgs::kVersion: cmd.action = HealthCommand::Action::kVersion; return cmd;
    case DaemonArgs::kRun: break;
  }
  const HealthConfig& c = cmd.config;
  if (c.prefixes.empty()) throw UsageError("no NAT64 prefix to probe: give --prefix PREFIX (repeatable)");
  for (std::size_t i = 0; i < c.prefixes.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (c.prefixes[i].to_string() == c.prefixes[j].to_string())
        throw UsageError("prefix " + c.prefixes[i].to_string() + " is given twice");
  if (!c.target) throw UsageError("no probe target: give --target ADDRESS (an IPv4 host that answers ping)");
  if (c.fragment.empty()) throw UsageError("no fragment file: give --fragment FILE (the file named.conf includes)");
  if (c.lists.clients.empty()) throw UsageError("clients: the list is empty (BIND needs one element; any: everyone)");
  if (c.policy.timeout > c.policy.interval)
    throw UsageError("timeout " + std::to_string(c.policy.timeout.count()) + " ms is longer than the interval " +
                     std::to_string(c.policy.interval.count()) + " ms (one probe per prefix is outstanding at a time)");
  return cmd;
}

nlohmann::ordered_json settings_json(const HealthConfig& c) {
  nlohmann::ordered_json prefixes = nlohmann::ordered_json::array();
  for (const auto& p : c.prefixes) prefixes.push_back(p.to_string());
  nlohmann::ordered_json j = {{"mode", "geneve-nat64-health"}, {"prefix", prefixes}};
  if (c.target) j["target"] = c.target->to_string();
  j["probe"] = c.probe == ProbeKind::kUdp ? "udp" : "icmp";
  j["port"] = c.port;
  if (!c.fragment.empty()) j["fragment"] = c.fragment;
  j["clients"] = c.lists.clients;
  j["exclude"] = c.lists.exclude;
  j["interval"] = c.policy.interval.count();
  j["timeout"] = c.policy.timeout.count();
  j["rise"] = c.policy.rise;
  j["fall"] = c.policy.fall;
  j["reload_command"] = c.reload_command;
  j["run_dir"] = c.run_dir;
  j["log_level"] = config::log_level_name(c.log_level);
  return j;
}

std::string health_usage() {
  std::string head = R"(Usage: geneve-nat64-health --prefix PREFIX... --target ADDRESS --fragment FILE [OPTIONS]
       geneve-nat64-health status [--json] [--run-dir DIR]

Probes each NAT64 prefix with ICMP echo (or UDP to an echo service) to an
IPv4 target through it (2001:db8:64:a::203.0.113.10) and keeps a BIND dns64 fragment listing the
prefixes that answer, each with the clients and exclude lists; rewrites it
(atomically) and runs the reload command only when its text changes. When
no prefix answers, every prefix is listed (docs/health.md).

Options (each is also a --config key, with '_' for '-'):
)";
  HealthCommand unused;
  return head + health_options(unused).help() + R"(
SIGINT or SIGTERM: exits 0, leaving the fragment as it is.
)";
}

}  // namespace gn::health
