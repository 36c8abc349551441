#pragma once
// Command-line parsing for the endpoint commands. Pure: takes the argument
// vector, returns a configuration or throws UsageError with one line that
// names the bad argument. Nothing is created before parsing succeeds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "util/log.hpp"

namespace gn::config {

enum class Dataplane { kAuto, kKernel, kUserspace };
const char* to_string(Dataplane d);

struct EndpointConfig {
  std::string mode;  // "symmetric"
  std::uint32_t vni = 0;
  net::IpAddress local;   // this endpoint's IPv6 address
  net::IpAddress path;    // where packets are sent (the peer, or its NAT64)
  net::IpAddress remote;  // the peer's IPv6 address
  std::string ifname = "gnv%d";
  std::uint32_t mtu = 0;  // 0: computed from the underlay route
  std::uint16_t port = geneve::kDefaultPort;
  std::uint16_t source_port = geneve::kDefaultPort;
  bool route_option = true;
  geneve::OptionId option_id;
  std::vector<std::string> addresses;  // inner "address/length" to assign
  Dataplane dataplane = Dataplane::kAuto;
  std::string run_dir = "/run/geneve-nat64";
  log::Level log_level = log::Level::kInfo;
};

struct ParseResult {
  enum class Action { kRun, kHelp, kVersion } action = Action::kRun;
  EndpointConfig config;
};

// args excludes argv[0].
ParseResult parse_symmetric(const std::vector<std::string>& args);
std::string symmetric_usage();

// Helpers shared by every command's parser.
std::uint32_t parse_vni(const std::string& text);
std::uint16_t parse_port(const std::string& what, const std::string& text);
std::uint32_t parse_uint(const std::string& what, const std::string& text, std::uint32_t min, std::uint32_t max);
net::IpAddress parse_address(const std::string& what, const std::string& text, std::optional<net::Family> family);
// Interface names: 1..15 bytes, no '/', ':' or whitespace (dev_valid_name()).
std::string parse_ifname(const std::string& text);

}  // namespace gn::config
