// geneve-nat64-health: probes NAT64 prefixes and keeps BIND's dns64
// fragment to the healthy ones (docs/health.md).
//   geneve-nat64-health --prefix P... --target A --fragment FILE [OPTIONS]
//   geneve-nat64-health status [--json] [--run-dir DIR]
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "control/control_socket.hpp"
#include "health/config.hpp"
#include "health/daemon.hpp"
#include "util/error.hpp"
#include "util/event_loop.hpp"
#include "util/log.hpp"
#include "version.hpp"

namespace {
constexpr const char* kCommand = "geneve-nat64-health";
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  gn::health::HealthCommand cmd;
  try {
    cmd = gn::health::parse_health_command(args);
  } catch (const gn::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
    return 2;
  }
  using Action = gn::health::HealthCommand::Action;
  switch (cmd.action) {
    case Action::kHelp: std::fputs(gn::health::health_usage().c_str(), stdout); return 0;
    case Action::kVersion: std::printf("%s %s\n", kCommand, gn::kVersion); return 0;
    case Action::kCheck: std::printf("%s\n", gn::health::settings_json(cmd.config).dump(2).c_str()); return 0;
    case Action::kStatus:
      try {
        const std::string text = gn::control::read_status(cmd.config.run_dir, gn::health::kStatusName);
        std::fputs(cmd.json ? text.c_str() : gn::health::render_status(text).c_str(), stdout);
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
    gn::health::HealthDaemon daemon(cmd.config);
    return cmd.config.once ? daemon.run_once() : daemon.run();
  } catch (const gn::UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", kCommand, e.what());
    return 2;
  } catch (const std::exception& e) {
    gn::log::error("{}", e.what());
    return 1;
  }
}
