#pragma once
// Command-line parsing for the endpoint commands, on the shared option
// parser (util/options.hpp), config file reader (util/config_file.hpp) and
// value parsers (config/values.hpp). Pure apart from reading the --config
// file: takes the argument vector, returns a configuration or throws
// UsageError with one line that names the bad argument, or the file and the
// JSON path of the bad key. Nothing is created before parsing succeeds.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/mode.hpp"
#include "config/values.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "util/log.hpp"

namespace gn::config {

enum class Dataplane { kAuto, kKernel, kUserspace };
const char* to_string(Dataplane d);

// One peer of the endpoint. Every mode has one, given by the positional
// arguments; a server may have many, from its --config file.
struct PeerSpec {
  std::string name;  // for logs and status; default: REMOTE
  std::uint32_t vni = 0;
  net::IpAddress remote;  // the peer's IPv6 address: its identity
  std::optional<std::string> key_file;
  std::string ifname = "gnv%d";
  std::vector<std::string> addresses;  // inner "address/length" to assign
  // On a shared interface: the inner prefixes that are this peer's (frames
  // for them go to it; frames from it must come from them).
  std::vector<net::IpPrefix> allowed_ips;
};

// A server's one interface for all its clients (its --config "interface").
struct SharedInterface {
  std::string ifname = "gnv%d";
  std::vector<std::string> addresses;  // inner "address/length" to assign
};

struct EndpointConfig {
  Mode mode = Mode::kSymmetric;
  std::string command = "geneve-symmetric";
  std::uint32_t vni = 0;
  net::IpAddress local;   // this endpoint's IPv6 address (its identity)
  std::string path_text;  // PATH as given: an address or a host name
  net::IpAddress path;    // PATH when given as an address
  net::IpAddress remote;  // the peer's IPv6 address
  // client, auto: the NAT64 prefixes an IPv4 PATH is put in, one candidate
  // path each, in order of preference (--nat64-prefix P1,P2); or found by
  // RFC 7050 at start and when every one is dead (--nat64-prefix auto).
  std::vector<net::Nat64Prefix> nat64_prefixes;
  bool discover_nat64_prefixes = false;
  std::optional<std::string> key_file;
  std::string config_file;                          // --config FILE, if given
  std::vector<PeerSpec> clients;                    // server: the file's "clients" (empty: one peer)
  std::optional<SharedInterface> shared_interface;  // server: one interface for all clients
  std::string name;                                 // status socket name (default: the interface)
  Timing timing;
  std::string ifname = "gnv%d";
  std::uint32_t mtu = 0;  // 0: computed from the underlay route
  std::uint16_t port = geneve::kDefaultPort;
  std::uint16_t source_port = geneve::kDefaultPort;
  bool route_option = true;
  geneve::OptionId option_id;
  std::vector<std::string> addresses;  // inner "address/length" to assign
  Dataplane dataplane = Dataplane::kAuto;
  // Userspace data plane: TAP virtio-net offloads, UDP GSO/GRO (probed; off
  // with --no-offload, for comparison and for kernels that misbehave).
  bool offloads = true;
  std::string run_dir = "/run/geneve-nat64";
  log::Level log_level = log::Level::kInfo;
};

struct ParseResult {
  // kCheck: --check-config, print the settings (config/settings_json.hpp).
  enum class Action { kRun, kHelp, kVersion, kCheck } action = Action::kRun;
  EndpointConfig config;
};

// args excludes argv[0]. One parser for every endpoint command; `mode`
// decides the positional arguments and which options apply.
ParseResult parse_endpoint(Mode mode, const std::vector<std::string>& args);
std::string endpoint_usage(Mode mode);
ParseResult parse_symmetric(const std::vector<std::string>& args);
std::string symmetric_usage();

// Every endpoint command reads a --config file: its long options as keys
// ('_' for '-'), the positional arguments as "vni", "local", "path",
// "remote" (a server's: "vni", "local", "remote"), and "mode" naming the
// command. Flags override the file; positional arguments on the command
// line replace all of the file's. A server's file may instead list
// "clients": [{"name", "vni", "remote", "key_file", "ifname", "address":
// [...], "allowed_ips": [...]}] with "local", and optionally "interface":
// {"ifname", "address": [...]}. With "interface" every client shares it and
// needs "allowed_ips" (and has no "ifname" or "address" of its own); without
// it each client gets its own interface.

// The peers an endpoint serves: the one from the arguments, or the server's
// clients from its config file.
std::vector<PeerSpec> peers_of(EndpointConfig& cfg);

}  // namespace gn::config
