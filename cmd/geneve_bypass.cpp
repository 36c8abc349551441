// geneve-bypass: the server side of the NAT64 bypass (docs/protocol.md 8,
// docs/gateway.md "Bypass").
//   geneve-bypass --gateway ADDR[/LEN] [OPTIONS]
//   geneve-bypass status [--tun NAME] [--json] [--run-dir DIR]
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bypass/daemon.hpp"
#include "bypass/daemon_config.hpp"
#include "control/control_socket.hpp"
#include "net/address.hpp"
#include "util/error.hpp"
#include "util/event_loop.hpp"
#include "util/log.hpp"
#include "version.hpp"

namespace {

constexpr const char* kCommand = "geneve-bypass";

std::string render(const nlohmann::json& doc) {
  std::string out = "interface " + doc.value("interface", "?") + " (pid " + std::to_string(doc.value("pid", 0L)) +
                    "), UDP " + std::to_string(doc.value("port", 0)) + ", mtu " + std::to_string(doc.value("mtu", 0)) +
                    ", tunnel MAC " + doc.value("tunnel_mac", "?") + "\n";
  out += "  trusting: ";
  if (doc.value("trust_any", false)) out += "any gateway (--trust-any)";
  for (const auto& t : doc["trusted"]) out += t.get<std::string>() + " ";
  out += "\n  gateways:\n";
  if (doc["gateways"].empty()) out += "    none yet (no offer answered)\n";
  for (const auto& g : doc["gateways"])
    out += "    " + g.value("address", "?") + ": VNI " + std::to_string(g.value("vni", 0u)) + ", clients reach " +
           g.value("mapped", "?") + ", " + std::to_string(g.value("flows", 0u)) + " flows\n";
  out += "  counters:\n";
  for (const auto& [name, value] : doc["counters"].items())
    if (value.get<std::uint64_t>() != 0) out += "    " + name + " " + std::to_string(value.get<std::uint64_t>()) + "\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  gn::bypass::DaemonCommand cmd;
  try {
    cmd = gn::bypass::parse_daemon_command(args);
  } catch (const gn::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
    return 2;
  }
  using Action = gn::bypass::DaemonCommand::Action;
  switch (cmd.action) {
    case Action::kHelp: std::fputs(gn::bypass::daemon_usage().c_str(), stdout); return 0;
    case Action::kVersion: std::printf("%s %s\n", kCommand, gn::kVersion); return 0;
    case Action::kCheck: std::printf("%s\n", gn::bypass::settings_json(cmd.config).dump(2).c_str()); return 0;
    case Action::kStatus:
      try {
        const std::string text = gn::control::read_status(cmd.config.run_dir, cmd.config.tun);
        if (cmd.json) {
          std::fputs(text.c_str(), stdout);
        } else {
          std::fputs(render(nlohmann::json::parse(text)).c_str(), stdout);
        }
        return 0;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
        return 1;
      }
    case Action::kRun: break;
  }
  gn::log::set_level(cmd.config.log_level);
  try {
    gn::block_exit_signals();
    gn::bypass::Daemon daemon(cmd.config);
    daemon.run();
    return 0;
  } catch (const gn::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
    return 2;
  } catch (const std::exception& e) {
    gn::log::error("{}", e.what());
    return 1;
  }
}
