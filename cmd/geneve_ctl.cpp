// geneve-ctl: inspect running endpoints through their status sockets.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/launch.hpp"
#include "control/control_socket.hpp"
#include "control/message.hpp"
#include "fmt/format.h"
#include "util/error.hpp"
#include "util/options.hpp"
#include "version.hpp"

namespace {

constexpr const char* kUsage = R"(Usage: geneve-ctl show [NAME] [--json] [--run-dir DIR]
       geneve-ctl genkey
       geneve-ctl up NAME [--check] [--config-dir DIR]
       geneve-ctl --help | --version

show: the state of running GENEVE-through-NAT64 endpoints: every one, or
the one named NAME (its interface, or a server's --name; a server is also
found by any of its clients' interfaces). For each peer: mode, chosen path
and why, candidates with liveness, observed addresses, last handshake,
traffic and drops by reason. --json prints the status documents as a JSON
array (one object with NAME). Status sockets are per network namespace:
run it in the namespace of the endpoints (ip netns exec NS geneve-ctl ...).

genkey: prints a new random pre-shared key (base64) for --key-file.

up: runs the command named by the "mode" key of DIR/NAME.json
(/etc/geneve-nat64/NAME.json; e.g. "mode": "geneve-client") with
--config FILE, in place of geneve-ctl: what geneve-nat64@NAME.service
starts. The command is looked for next to geneve-ctl, then in PATH.
--check adds --check-config: the file is checked and its settings printed,
nothing is started.

Options:
)";

std::string human_bytes(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  auto v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.2f} {}", v, units[u]);
}

std::string seconds_ago(const nlohmann::json& v) {
  return v.is_null() ? std::string("never") : fmt::format("{:.1f} s ago", v.get<double>());
}

void print_human(const nlohmann::json& s) {
  // The daemons that are not endpoints (geneve-bypass, geneve-nat64-health)
  // name themselves in "command" and share the run directory: point at
  // their own status command instead of reading them as an endpoint.
  if (s.contains("command") && s["command"].is_string()) {
    const std::string command = s["command"].get<std::string>();
    fmt::print("{} (pid {}): not an endpoint; '{} status' shows it\n", command, s.value("pid", 0), command);
    return;
  }
  fmt::print("endpoint: {} ({} mode, pid {})\n", s.value("name", "?"), s.value("mode", "?"), s.value("pid", 0));
  fmt::print("  local: {}, port {}, source port {}\n", s.value("local", "?"), s.value("listen_port", 0),
             s.value("source_port", 0));
  fmt::print("  data plane: {} ({})\n", s["dataplane"].value("kind", "?"), s["dataplane"].value("reason", ""));
  fmt::print("  mtu: {} (underlay {})\n", s.value("mtu", 0), s.value("underlay_mtu", 0));
  const auto& ro = s["route_option"];
  fmt::print("  NAT64 routing option: class {} type {}, {}\n", ro.value("class", "?"), ro.value("type", "?"),
             ro.value("sent", false) ? "sent" : "not sent");
  fmt::print("  keepalive: every {} s, dead after {} missed replies\n", s.value("keepalive_seconds", 0.0),
             s.value("dead_after", 0));
  std::string unattributed;
  for (const auto& [reason, count] : s["unattributed_drops"].items())
    if (count.get<std::uint64_t>() > 0)
      unattributed += fmt::format("{}{} {}", unattributed.empty() ? "" : ", ", reason, count.get<std::uint64_t>());
  if (!unattributed.empty()) fmt::print("  dropped from unknown sources: {}\n", unattributed);
  for (const auto& p : s["peers"]) {
    fmt::print("\npeer: {} ({}), interface {}, vni {}\n", p.value("name", "?"), p.value("remote", "?"),
               p.value("interface", "?"), p.value("vni", 0));
    if (p.contains("allowed_ips") && !p["allowed_ips"].empty()) {
      std::string allowed;
      for (const auto& prefix : p["allowed_ips"]) allowed += (allowed.empty() ? "" : ", ") + prefix.get<std::string>();
      fmt::print("  allowed ips: {}\n", allowed);
    }
    const auto& path = p["path"];
    fmt::print("  mode: {}; path: {} {}{}\n", p.value("mode", "?"), path.value("kind", "?"),
               path["target"].is_null() ? std::string("(none)") : path["target"].get<std::string>(),
               path.value("alive", false) ? "" : " (not answering)");
    fmt::print("  why: {}\n", path.value("reason", ""));
    for (const auto& c : p["candidates"]) {
      fmt::print("    candidate {} {}: {}, {} probes, {} replies, rtt {}, seen as {}\n", c.value("kind", "?"),
                 c.value("target", "?"),
                 c.value("alive", false) ? "alive" : (c.value("answered", false) ? "dead" : "not answering"),
                 c.value("probes_sent", 0), c.value("replies", 0),
                 c["rtt_ms"].is_null() ? std::string("-") : fmt::format("{:.2f} ms", c["rtt_ms"].get<double>()),
                 c["observed"].is_null() ? std::string("?") : c["observed"].get<std::string>());
    }
    fmt::print("  authenticated: {}; last handshake: {}; latest receive: {}\n",
               p.value("authenticated", false) ? "yes (pre-shared key)" : "NO KEY",
               seconds_ago(p["last_handshake_seconds_ago"]), seconds_ago(p["last_rx_seconds_ago"]));
    fmt::print("  transfer: {} received ({} packets), {} sent ({} packets)\n", human_bytes(p.value("rx_bytes", 0ull)),
               p.value("rx_packets", 0ull), human_bytes(p.value("tx_bytes", 0ull)), p.value("tx_packets", 0ull));
    std::string drops;
    for (const auto& [reason, count] : p["drops"].items()) {
      if (count.get<std::uint64_t>() > 0)
        drops += fmt::format("{}{} {}", drops.empty() ? "" : ", ", reason, count.get<std::uint64_t>());
    }
    fmt::print("  drops: {}\n", drops.empty() ? "none" : drops);
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool json = false;
  bool help = false;
  bool version = false;
  bool check = false;
  bool run_dir_set = false;
  bool config_dir_set = false;
  std::string run_dir = "/run/geneve-nat64";
  std::string config_dir = "/etc/geneve-nat64";
  gn::Option help_option = gn::flag("help", "show this help and exit", [&] { help = true; });
  help_option.short_name = 'h';
  gn::OptionParser options({
      gn::flag("json", "machine-readable output", [&] { json = true; }),
      gn::value("run-dir", "DIR",
                "the --run-dir the endpoints were started with (default /run/geneve-nat64): their status sockets' "
                "prefix",
                [&](const std::string& v) {
                  run_dir = v;
                  run_dir_set = true;
                }),
      gn::value("config-dir", "DIR", "up: where NAME.json is (default /etc/geneve-nat64)",
                [&](const std::string& v) {
                  config_dir = v;
                  config_dir_set = true;
                }),
      gn::flag("check", "up: check the file and print its settings (--check-config), start nothing",
               [&] { check = true; }),
      std::move(help_option),
      gn::flag("version", "show the version and exit", [&] { version = true; }),
  });
  std::vector<std::string> positional;
  try {
    positional = options.parse(args);
  } catch (const gn::UsageError& e) {
    std::fprintf(stderr, "geneve-ctl: %s\n", e.what());
    return 2;
  }
  if (help) {
    std::fputs(kUsage, stdout);
    std::fputs(options.help().c_str(), stdout);
    return 0;
  }
  if (version) {
    std::printf("geneve-ctl %s\n", gn::kVersion);
    return 0;
  }
  if (positional.size() == 1 && positional[0] == "genkey") {
    std::puts(gn::control::generate_key_base64().c_str());
    return 0;
  }
  if (!positional.empty() && positional[0] == "up") {
    if (positional.size() != 2) {
      std::fprintf(stderr, "geneve-ctl: expected 'up NAME' (see --help)\n");
      return 2;
    }
    if (json || run_dir_set) {
      std::fprintf(stderr, "geneve-ctl: --json and --run-dir apply to 'show' only (see --help)\n");
      return 2;
    }
    try {
      gn::config::exec_up(gn::config::instance_config_path(config_dir, positional[1]), check);
    } catch (const gn::UsageError& e) {
      std::fprintf(stderr, "geneve-ctl: up %s: %s\n", positional[1].c_str(), e.what());
      return 2;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "geneve-ctl: up %s: %s\n", positional[1].c_str(), e.what());
      return 1;
    }
  }
  if (check || config_dir_set) {
    std::fprintf(stderr, "geneve-ctl: --check and --config-dir apply to 'up' only (see --help)\n");
    return 2;
  }
  if (positional.empty() || positional[0] != "show" || positional.size() > 2) {
    std::fprintf(stderr, "geneve-ctl: expected 'show [NAME]', 'genkey' or 'up NAME' (see --help)\n");
    return 2;
  }
  nlohmann::json all = nlohmann::json::array();
  int rc = 0;
  auto sockets = gn::control::list_status(run_dir);
  if (positional.size() == 2 && std::find(sockets.begin(), sockets.end(), positional[1]) != sockets.end())
    sockets = {positional[1]};
  for (const auto& name : sockets) {
    try {
      all.push_back(nlohmann::json::parse(gn::control::read_status(run_dir, name)));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "geneve-ctl: %s: %s\n", name.c_str(), e.what());
      rc = 1;
    }
  }
  if (positional.size() == 2) {
    // NAME is an endpoint's name or one of its peers' interfaces.
    nlohmann::json match = nlohmann::json::array();
    for (const auto& s : all) {
      bool hit = s.value("name", "") == positional[1];
      if (s.contains("peers"))
        for (const auto& p : s["peers"]) hit = hit || p.value("interface", "") == positional[1];
      if (hit) match.push_back(s);
    }
    if (match.empty()) {
      std::fprintf(stderr, "geneve-ctl: no running endpoint named %s under %s in this network namespace\n",
                   positional[1].c_str(), run_dir.c_str());
      return 1;
    }
    all = match;
  }
  if (json) {
    std::puts((positional.size() == 2 && all.size() == 1 ? all[0] : all).dump(2).c_str());
  } else {
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i) std::puts("");
      print_human(all[i]);
    }
  }
  return rc;
}
