// geneve-server: see `geneve-server --help` and docs/operations.md.
#include "config/cli.hpp"
#include "endpoint/main.hpp"

int main(int argc, char** argv) {
  return gn::endpoint::endpoint_main(
      argc, argv, "geneve-server",
      [](const std::vector<std::string>& args) { return gn::config::parse_endpoint(gn::config::Mode::kServer, args); },
      [] { return gn::config::endpoint_usage(gn::config::Mode::kServer); });
}
