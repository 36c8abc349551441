// geneve-client: see `geneve-client --help` and docs/operations.md.
#include "config/cli.hpp"
#include "endpoint/main.hpp"

int main(int argc, char** argv) {
  return gn::endpoint::endpoint_main(
      argc, argv, "geneve-client",
      [](const std::vector<std::string>& args) { return gn::config::parse_endpoint(gn::config::Mode::kClient, args); },
      [] { return gn::config::endpoint_usage(gn::config::Mode::kClient); });
}
