#include "endpoint/main.hpp"

#include <cstdio>
#include <exception>

#include "config/settings_json.hpp"
#include "endpoint/endpoint.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "version.hpp"

namespace gn::endpoint {

int endpoint_main(int argc, char** argv, const char* command, ParseFn parse, UsageFn usage) {
  std::vector<std::string> args(argv + 1, argv + argc);
  config::ParseResult parsed;
  try {
    parsed = parse(args);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", command, e.what());
    return 2;
  }
  if (parsed.action == config::ParseResult::Action::kHelp) {
    std::fputs(usage().c_str(), stdout);
    return 0;
  }
  if (parsed.action == config::ParseResult::Action::kVersion) {
    std::printf("%s %s\n", command, kVersion);
    return 0;
  }
  if (parsed.action == config::ParseResult::Action::kCheck) {
    // Parsed and checked: nothing is created, no key file is read.
    std::printf("%s\n", config::settings_json(parsed.config).dump(2).c_str());
    return 0;
  }
  log::set_level(parsed.config.log_level);
  try {
    gn::block_exit_signals();
    TunnelEndpoint endpoint(parsed.config);
    endpoint.run();
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", command, e.what());
    return 2;
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}

}  // namespace gn::endpoint
