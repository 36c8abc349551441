// geneve-nat64-gateway: a stateful NAT64 (RFC 6146/7915) for UDP and ICMP on
// a TUN device, with the GENEVE NAT64 routing-option extension
// (docs/protocol.md 3.3, docs/gateway.md).
//   geneve-nat64-gateway --prefix PREFIX --pool ADDRESS [OPTIONS]
//   geneve-nat64-gateway status [--tun NAME] [--json] [--run-dir DIR]
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/control_socket.hpp"
#include "nat64/config.hpp"
#include "nat64/gateway.hpp"
#include "nat64/status.hpp"
#include "util/error.hpp"
#include "util/event_loop.hpp"
#include "util/log.hpp"
#include "version.hpp"

namespace {

constexpr const char* kCommand = "geneve-nat64-gateway";

int status_main(const gn::nat64::GatewayCommand& cmd) {
  std::string text = gn::control::read_status(cmd.config.run_dir, cmd.config.tun);
  if (cmd.json) {
    std::fputs(text.c_str(), stdout);
    return 0;
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("status of " + cmd.config.tun + " is not valid JSON (" + e.what() + ")");
  }
  std::fputs(gn::nat64::render_status(doc).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  gn::nat64::GatewayCommand cmd;
  try {
    cmd = gn::nat64::parse_gateway_command(args);
  } catch (const gn::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
    return 2;
  }
  using Action = gn::nat64::GatewayCommand::Action;
  switch (cmd.action) {
    case Action::kHelp: std::fputs(gn::nat64::gateway_usage().c_str(), stdout); return 0;
    case Action::kVersion: std::printf("%s %s\n", kCommand, gn::kVersion); return 0;
    case Action::kCheck: std::printf("%s\n", gn::nat64::settings_json(cmd.config).dump(2).c_str()); return 0;
    case Action::kStatus: try { return status_main(cmd);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
        return 1;
      }
    case Action::kRun: break;
  }
  gn::log::set_level(cmd.config.log_level);
  try {
    gn::block_exit_signals();
    gn::nat64::Gateway gateway(cmd.config);
    gateway.run();
    return 0;
  } catch (const gn::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
    return 2;
  } catch (const std::exception& e) {
    gn::log::error("{}", e.what());
    return 1;
  }
}
