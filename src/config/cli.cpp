#include "config/cli.hpp"

#include <algorithm>
#include <initializer_list>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "net/mtu.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/options.hpp"

namespace gn::config {

const char* to_string(Dataplane d) {
  switch (d) {
    case Dataplane::kAuto: return "auto";
    case Dataplane::kKernel: return "kernel";
    case Dataplane::kUserspace: return "userspace";
  }
  return "?";
}

namespace {

// What parsing collects besides the configuration.
struct ParseState {
  ParseResult result;
  bool help = false;
  bool source_port_set = false;
};

Dataplane parse_dataplane(const std::string& v) {
  if (v == "auto") return Dataplane::kAuto;
  if (v == "kernel") return Dataplane::kKernel;
  if (v == "userspace") return Dataplane::kUserspace;
  throw UsageError("data plane '" + v + "' is not one of auto, kernel, userspace");
}

// The options of one endpoint command, writing into `s`. --help is written
// from the same table.
OptionParser endpoint_options(Mode mode, ParseState& s) {
  EndpointConfig& c = s.result.config;
  OptionParser p({});
  if (mode == Mode::kServer) {
    p.add(value("config", "FILE",
                "serve many clients: a JSON file {\"local\": \"LOCAL\", \"clients\": [{\"name\": \"...\", \"vni\": N, "
                "\"remote\": \"...\", \"key_file\": \"...\", \"ifname\": \"...\", \"address\": [\"...\"]}]}",
                [&](const std::string& v) { c.config_file = parse_file_name("config file", v); })
              .only_once());
    p.add(value("name", "NAME", "status socket name (default: the interface, or \"geneve-server\" with --config)",
                [&](const std::string& v) { c.name = parse_ifname(v); }));
  }
  if (mode == Mode::kClient || mode == Mode::kAuto) {
    p.add(value("nat64-prefix", "PREFIX",
                "put an IPv4 PATH inside this NAT64 prefix (for a host with IPv6 only behind a NAT64)",
                [&](const std::string& v) { c.nat64_prefix = net::Nat64Prefix::parse(v); }));
  }
  p.add(value("ifname", "NAME", "tunnel interface name (default gnv%d: the kernel picks gnv0, gnv1, ...)",
              // "%d" is a kernel template; check the rest as a literal name.
              [&](const std::string& v) { c.ifname = parse_ifname(v); }));
  p.add(value("mtu", "N",
              "inner MTU (default: underlay MTU minus the tunnel overhead, 94 bytes with the routing option)",
              [&](const std::string& v) { c.mtu = parse_uint("MTU", v, net::kMinInnerMtu, net::kMaxInnerMtu); }));
  p.add(
      value("address", "ADDR/LEN", "assign an address to the tunnel interface (repeatable)", [&](const std::string& v) {
        net::InterfaceAddress::parse(v);  // validates; kept as text for netlink
        c.addresses.push_back(v);
      }));
  p.add(value("key-file", "FILE",
              "pre-shared key (base64, `geneve-ctl genkey`): every control message is authenticated and a path "
              "moves only on authenticated messages (docs/protocol.md 6.3)",
              [&](const std::string& v) { c.key_file = parse_file_name("key file", v); }));
  p.add(value("keepalive", "SECONDS",
              "probe interval, 1..25 (default 5; NATs forget an unanswered UDP mapping after 30 s)",
              [&](const std::string& v) {
                c.timing.keepalive = std::chrono::seconds(parse_uint("keepalive interval", v, 1, 25));
              }));
  p.add(value("dead-after", "N", "missed replies before a path is dead (default 3)",
              [&](const std::string& v) { c.timing.dead_after = parse_uint("dead-after", v, 1, 100); }));
  p.add(value("port", "N", "UDP port we listen on and send to (default 6081)",
              [&](const std::string& v) { c.port = parse_port("port", v); }));
  p.add(value("source-port", "N", "UDP source port of every packet (default: --port); fixed so a NAT keeps one mapping",
              [&](const std::string& v) {
                c.source_port = parse_port("source port", v);
                s.source_port_set = true;
              }));
  p.add(flag("no-route-option", "send no NAT64 routing option", [&] { c.route_option = false; }));
  p.add(value("option-class", "N", "class of the NAT64 routing option (default 0x0162)",
              [&](const std::string& v) { c.option_id.option_class = parse_option_class(v); }));
  p.add(value("option-type", "N", "type of the NAT64 routing option (default 0x01; must be non-critical, below 0x80)",
              [&](const std::string& v) { c.option_id.type = parse_option_type(v); }));
  p.add(value("dataplane", "MODE", "auto | kernel | userspace (default auto)",
              [&](const std::string& v) { c.dataplane = parse_dataplane(v); }));
  p.add(flag("no-offload",
             "userspace data plane without TAP segmentation offloads and UDP GSO/GRO (one frame per datagram)",
             [&] { c.offloads = false; }));
  p.add(value("run-dir", "DIR",
              "names the status socket: abstract @DIR/NAME.sock, per network namespace (default /run/geneve-nat64)",
              [&](const std::string& v) { c.run_dir = parse_run_dir(v); }));
  p.add(value("log-level", "LEVEL", "debug | info | warn | error (default info)",
              [&](const std::string& v) { c.log_level = parse_log_level(v); }));
  Option help = flag("help", "show this help and exit", [&] { s.help = true; });
  help.short_name = 'h';
  p.add(std::move(help));
  p.add(flag("version", "show the version and exit", [&] { s.result.action = ParseResult::Action::kVersion; }));
  return p;
}

constexpr const char* kUsageFooter = R"(
SIGINT or SIGTERM removes the interface and exits 0. Status:
geneve-ctl show [NAME] [--json]. Modes and examples: docs/operations.md.
)";

}  // namespace

std::string endpoint_usage(Mode mode) {
  std::string head;
  switch (mode) {
    case Mode::kSymmetric:
      head = R"(Usage: geneve-symmetric [OPTIONS] VNI LOCAL PATH REMOTE

Runs one end of a GENEVE tunnel between two IPv6 sites, carrying Ethernet
frames, where both ends can be reached through their path: directly over
IPv6, or through NAT64 gateways that both have the GENEVE NAT64 extension.

Arguments:
  VNI      virtual network identifier, 0..16777215 (same on both ends)
  LOCAL    this endpoint's IPv6 address (the socket is bound to it)
  PATH     where packets are sent: the peer's IPv6 address, or the peer
           gateway's public IPv4 address inside our NAT64 prefix
           (e.g. 2001:db8:64::203.0.113.90); an IPv4 address uses an
           IPv4 underlay
  REMOTE   the peer's IPv6 address (named in the NAT64 routing option)

)";
      break;
    case Mode::kServer:
      head = R"(Usage: geneve-server [OPTIONS] VNI LOCAL REMOTE
       geneve-server [OPTIONS] --config FILE

Runs the server end of client-server tunnels: this host's NAT64 gateway has
the GENEVE NAT64 extension and a public IPv4 address; clients reach it from
anywhere (behind NAT44/CGN, or a NAT64 without the extension). The path to
each client is learned from its authenticated probes and followed when the
client's NAT mapping changes.

Arguments:
  VNI      virtual network identifier of the (single) client's tunnel
  LOCAL    this endpoint's IPv6 address (the socket is bound to it)
  REMOTE   the client's IPv6 address (its identity; the client's LOCAL)

)";
      break;
    case Mode::kClient:
      head = R"(Usage: geneve-client [OPTIONS] VNI LOCAL PATH REMOTE

Runs the client end of a client-server tunnel: the server's NAT64 gateway
has the GENEVE NAT64 extension; this end may sit behind NAT44/CGN or a
NAT64 without it.

Arguments:
  VNI      virtual network identifier (as the server has it for us)
  LOCAL    this endpoint's IPv6 address: its identity (the server's REMOTE);
           it need not be an address of this host
  PATH     the server gateway's public IPv4 address, a host name, or an
           IPv6 address (e.g. the IPv4 address inside our NAT64 prefix);
           a host name is resolved at start and again when the path dies
  REMOTE   the server's IPv6 address (named in the NAT64 routing option)

)";
      break;
    case Mode::kAuto:
      head = R"(Usage: geneve-auto [OPTIONS] VNI LOCAL PATH REMOTE

Runs one end of a tunnel and works out which path works: a direct IPv6
path to REMOTE, the symmetric NAT64 path through PATH, or a client-server
path in either direction. Both ends run geneve-auto; each probes its
candidates and answers the other's probes, uses the best path that answers
(direct, then NAT64 path, then learned) and moves when it dies.

Arguments: as geneve-symmetric (PATH as for geneve-client).

)";
      break;
  }
  ParseState unused;
  return head + "Options:\n" + endpoint_options(mode, unused).help() + kUsageFooter;
}

std::string symmetric_usage() {
  return endpoint_usage(Mode::kSymmetric);
}

ParseResult parse_symmetric(const std::vector<std::string>& args) {
  return parse_endpoint(Mode::kSymmetric, args);
}

ParseResult parse_endpoint(Mode mode, const std::vector<std::string>& args) {
  ParseState state;
  ParseResult& result = state.result;
  EndpointConfig& c = result.config;
  c.mode = mode;
  c.command = std::string("geneve-") + std::string(to_string(mode));
  auto positional = endpoint_options(mode, state).parse(args);
  if (state.help) {
    result.action = ParseResult::Action::kHelp;
    return result;
  }
  if (result.action == ParseResult::Action::kVersion) return result;
  if (!state.source_port_set) c.source_port = c.port;

  if (mode == Mode::kServer) {
    if (!c.config_file.empty()) {
      if (!positional.empty())
        throw UsageError("--config lists the clients: give no VNI LOCAL REMOTE arguments with it (see --help)");
      if (c.name.empty()) c.name = "geneve-server";
      return result;
    }
    if (positional.size() != 3)
      throw UsageError("expected 3 arguments VNI LOCAL REMOTE (or --config FILE), got " +
                       std::to_string(positional.size()) + " (see --help)");
    c.vni = parse_vni(positional[0]);
    c.local = parse_address("LOCAL", positional[1], net::Family::kV6);
    c.remote = parse_address("REMOTE", positional[2], net::Family::kV6);
  } else {
    if (positional.size() != 4)
      throw UsageError("expected 4 arguments VNI LOCAL PATH REMOTE, got " + std::to_string(positional.size()) +
                       " (see --help)");
    c.vni = parse_vni(positional[0]);
    c.local = parse_address("LOCAL", positional[1], net::Family::kV6);
    c.path_text = positional[2];
    if (mode == Mode::kSymmetric) {
      c.path = parse_address("PATH", positional[2], std::nullopt);
    } else if (auto a = net::IpAddress::parse(positional[2])) {
      c.path = *a;
    } else if (!is_host_name(positional[2])) {
      throw UsageError("PATH '" + positional[2] + "' is neither an IP address nor a host name");
    }
    c.remote = parse_address("REMOTE", positional[3], net::Family::kV6);
  }
  if (c.local == c.remote) throw UsageError("LOCAL and REMOTE are the same address " + c.local.to_string());
  return result;
}

namespace {

// A JSON array of strings, each checked by `parse`; throws UsageError.
template <typename Parse>
void for_each_string(const nlohmann::json& array, const char* key, Parse parse) {
  if (!array.is_array()) throw UsageError(std::string("\"") + key + "\" must be an array of strings");
  for (const auto& a : array) {
    if (!a.is_string()) throw UsageError(std::string("\"") + key + "\" must be an array of strings");
    parse(a.get<std::string>());
  }
}

void check_keys(const nlohmann::json& object, std::initializer_list<const char*> known, const std::string& where) {
  for (const auto& item : object.items()) {
    const std::string& key = item.key();
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      std::string list;
      for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      throw UsageError(where + "unknown key '" + key + "' (expected " + list + ")");
    }
  }
}

SharedInterface parse_shared_interface(const nlohmann::json& j) {
  if (!j.is_object()) throw UsageError("\"interface\" must be an object");
  check_keys(j, {"ifname", "address"}, "interface: ");
  SharedInterface s;
  if (j.contains("ifname")) {
    if (!j["ifname"].is_string()) throw UsageError("interface.ifname must be a string");
    s.ifname = parse_ifname(j["ifname"].get<std::string>());
  }
  if (j.contains("address"))
    for_each_string(j["address"], "address", [&](const std::string& a) {
      net::InterfaceAddress::parse(a);
      s.addresses.push_back(a);
    });
  return s;
}

}  // namespace

void load_server_config(const std::string& json_text, EndpointConfig& cfg, std::vector<PeerSpec>& clients) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    throw UsageError(std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw UsageError("the top level must be an object");
  check_keys(j, {"local", "interface", "clients"}, "");
  if (!j.contains("local") || !j["local"].is_string())
    throw UsageError("\"local\" (this server's IPv6 address) is missing");
  cfg.local = parse_address("local", j["local"].get<std::string>(), net::Family::kV6);
  if (j.contains("interface")) cfg.shared_interface = parse_shared_interface(j["interface"]);
  const bool shared = cfg.shared_interface.has_value();
  if (!j.contains("clients") || !j["clients"].is_array() || j["clients"].empty())
    throw UsageError("\"clients\" must be a non-empty array");
  std::set<std::pair<net::IpAddress, std::uint32_t>> seen;
  // Which client holds each prefix (normalised), to name both of a clash.
  std::map<std::pair<net::IpAddress, int>, std::string> owners;
  std::size_t index = 0;
  for (const auto& e : j["clients"]) {
    std::string where = "clients[" + std::to_string(index++) + "]";
    if (!e.is_object()) throw UsageError(where + " is not an object");
    PeerSpec p;
    auto str = [&](const char* k) -> std::optional<std::string> {
      if (!e.contains(k)) return std::nullopt;
      if (!e[k].is_string()) throw UsageError(where + "." + k + " must be a string");
      return e[k].get<std::string>();
    };
    check_keys(e, {"name", "vni", "remote", "key_file", "ifname", "address", "allowed_ips"}, where + ": ");
    try {
      if (!e.contains("vni") || !e["vni"].is_number_unsigned()) throw UsageError("\"vni\" (a number) is missing");
      p.vni = parse_uint("VNI", std::to_string(e["vni"].get<std::uint64_t>()), 0, geneve::kMaxVni);
      auto remote = str("remote");
      if (!remote) throw UsageError("\"remote\" (the client's IPv6 address) is missing");
      p.remote = parse_address("remote", *remote, net::Family::kV6);
      p.name = str("name").value_or(p.remote.to_string());
      p.key_file = str("key_file");
      if (shared && (e.contains("ifname") || e.contains("address")))
        throw UsageError(R"("ifname" and "address" belong to "interface" when the clients share one)");
      if (!shared && e.contains("allowed_ips"))
        throw UsageError(R"("allowed_ips" applies to clients sharing one "interface" (none is configured))");
      if (auto ifname = str("ifname")) p.ifname = parse_ifname(*ifname);
      if (e.contains("address"))
        for_each_string(e["address"], "address", [&](const std::string& a) {
          net::InterfaceAddress::parse(a);
          p.addresses.push_back(a);
        });
      if (shared) {
        if (!e.contains("allowed_ips"))
          throw UsageError("\"allowed_ips\" (the client's inner prefixes) is missing: clients share one interface");
        for_each_string(e["allowed_ips"], "allowed_ips",
                        [&](const std::string& a) { p.allowed_ips.push_back(net::IpPrefix::parse(a)); });
        if (p.allowed_ips.empty()) throw UsageError("\"allowed_ips\" is empty: the client could send nothing");
      }
    } catch (const UsageError& err) {
      throw UsageError(where + ": " + err.what());
    }
    if (!seen.insert({p.remote, p.vni}).second)
      throw UsageError(where + ": another client has remote " + p.remote.to_string() + " and VNI " +
                       std::to_string(p.vni) + " (a client is known by both)");
    for (const auto& prefix : p.allowed_ips) {
      auto [it, added] = owners.emplace(std::pair{prefix.network(), prefix.length()}, p.name);
      if (!added)
        throw UsageError(where + ": allowed_ips " + prefix.to_string() + " is also client " + it->second +
                         "'s (a prefix has one owner; a longer one inside it may be another client's)");
    }
    clients.push_back(std::move(p));
  }
}

std::vector<PeerSpec> peers_of(EndpointConfig& cfg) {
  std::vector<PeerSpec> peers;
  if (!cfg.config_file.empty()) {
    // A server's clients: 10,000 of them, indented, are about 3 MB.
    constexpr std::size_t kMaxServerConfig = 64u << 20;
    std::string text = read_user_file(cfg.config_file, "config file", kMaxServerConfig);
    try {
      load_server_config(text, cfg, peers);
    } catch (const UsageError& e) {
      throw UsageError("config file " + cfg.config_file + ": " + e.what());
    }
    return peers;
  }
  PeerSpec p;
  p.name = cfg.remote.to_string();
  p.vni = cfg.vni;
  p.remote = cfg.remote;
  p.key_file = cfg.key_file;
  p.ifname = cfg.ifname;
  p.addresses = cfg.addresses;
  peers.push_back(std::move(p));
  return peers;
}

}  // namespace gn::config
