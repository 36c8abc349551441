// geneve-symmetric VNI LOCAL PATH REMOTE: both ends reachable through their
// path (direct IPv6, or NAT64 gateways with the GENEVE extension).
#include "config/cli.hpp"
#include "endpoint/main.hpp"

int main(int argc, char** argv) {
  return gn::endpoint::endpoint_main(argc, argv, "geneve-symmetric", gn::config::parse_symmetric,
                                     gn::config::symmetric_usage);
}
