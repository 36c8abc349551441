#pragma once
// geneve-nat64-health configuration: flags and a JSON --config file with
// the same keys, through the one option table (util/options.hpp) and config
// reader (util/config_file.hpp). Pure apart from reading the file; throws
// UsageError with one line naming the bad flag, key or list entry, before
// anything is created.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "health/fragment.hpp"
#include "health/prefix_health.hpp"
#include "health/probe_socket.hpp"
#include "net/address.hpp"
#include "util/log.hpp"

namespace gn::health {

// The status socket's name (abstract @RUN_DIR/nat64-health.sock).
constexpr const char* kStatusName = "nat64-health";

struct HealthConfig {
  std::vector<net::Nat64Prefix> prefixes;
  std::optional<net::IpAddress> target;  // IPv4, probed through each prefix
  std::string fragment;                  // the BIND file we keep
  ProbeKind probe = ProbeKind::kIcmp;
  std::uint16_t port = 7;  // the UDP echo service's (RFC 862), for ProbeKind::kUdp
  Dns64Lists lists;
  HealthPolicy policy;
  // Run through /bin/sh -c after the fragment changed; "" for none.
  std::string reload_command = "rndc reload";
  std::string run_dir = "/run/geneve-nat64";
  bool once = false;
  log::Level log_level = log::Level::kInfo;
};

struct HealthCommand {
  enum class Action { kRun, kStatus, kHelp, kVersion, kCheck } action = Action::kRun;
  HealthConfig config;
  bool json = false;
};

// args excludes argv[0]; "status" first selects the status client.
HealthCommand parse_health_command(const std::vector<std::string>& args);
std::string health_usage();
// The effective settings with the --config file's keys and "mode"; reads
// back to the same settings.
nlohmann::ordered_json settings_json(const HealthConfig& c);

}  // namespace gn::health
