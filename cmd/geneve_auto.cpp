// geneve-auto: see `geneve-auto --help` and docs/operations.md.
#include "config/cli.hpp"
#include "endpoint/main.hpp"

int main(int argc, char** argv) {
  return gn::endpoint::endpoint_main(
      argc, argv, "geneve-auto",
      [](const std::vector<std::string>& args) { return gn::config::parse_endpoint(gn::config::Mode::kAuto, args); },
      [] { return gn::config::endpoint_usage(gn::config::Mode::kAuto); });
}
