#include "config/cli.hpp"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "net/mtu.hpp"
#include "util/config_file.hpp"
#include "util/error.hpp"
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

// One --nat64-prefix value: "auto", or prefixes separated by commas. Auto
// stands alone: a list says which NAT64s to use, auto asks the DNS64.
void add_nat64_prefixes(EndpointConfig& c, const std::string& value) {
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(',', start);
    if (end == std::string::npos) end = value.size();
    const std::string item = value.substr(start, end - start);
    start = end + 1;
    if (item == "auto") {
      c.discover_nat64_prefixes = true;
    } else {
      if (item.empty()) throw UsageError("NAT64 prefix list '" + value + "' has an empty entry");
      std::optional<net::Nat64Prefix> parsed;
      try {
        parsed = net::Nat64Prefix::parse(item);
      } catch (const UsageError& e) {
        // Name the entry: in a list, which one is wrong.
        if (std::string_view(e.what()).find(item) != std::string_view::npos) throw;
        throw UsageError("NAT64 prefix '" + item + "': " + e.what());
      }
      const net::Nat64Prefix& p = *parsed;
      if (std::find(c.nat64_prefixes.begin(), c.nat64_prefixes.end(), p) != c.nat64_prefixes.end())
        throw UsageError("NAT64 prefix " + p.to_string() + " is given twice");
      c.nat64_prefixes.push_back(p);
    }
    if (c.discover_nat64_prefixes && !c.nat64_prefixes.empty())
      throw UsageError("'auto' discovers the NAT64 prefixes: it cannot be combined with a list of them");
  }
}

// A server's file may list 10,000 clients: about 3 MB indented.
constexpr std::size_t kMaxConfigFile = 64u << 20;

// What parsing collects besides the configuration.
struct ParseState {
  ParseResult result;
  bool help = false;
  bool check = false;
  bool source_port_set = false;
  // From the --config file: the positional arguments' keys ("vni" -> "42"),
  // and a server's "interface" and "clients", read once all keys are in.
  std::map<std::string, std::string> file_args;
  std::optional<nlohmann::json> interface;
  std::optional<nlohmann::json> clients;
};

Dataplane parse_dataplane(const std::string& v) {
  if (v == "auto") return Dataplane::kAuto;
  if (v == "kernel") return Dataplane::kKernel;
  if (v == "userspace") return Dataplane::kUserspace;
  throw UsageError("data plane '" + v + "' is not one of auto, kernel, userspace");
}

// The positional arguments of a mode, as file keys.
std::vector<std::string> argument_keys(Mode mode) {
  if (mode == Mode::kServer) return {"vni", "local", "remote"};
  return {"vni", "local", "path", "remote"};
}

// The options of one endpoint command, writing into `s`. --help and the
// --config file's keys are written from the same table.
OptionParser endpoint_options(Mode mode, ParseState& s) {
  EndpointConfig& c = s.result.config;
  OptionParser p({});
  p.add(value("config", "FILE",
              mode == Mode::kServer
                  ? "settings from a JSON object: the long options below as keys ('_' for '-'), the arguments as "
                    "\"vni\", \"local\", \"remote\"; or serve many clients: \"local\" and \"clients\": "
                    "[{\"name\", \"vni\", \"remote\", \"key_file\", \"ifname\", \"address\": [...]}] "
                    "(docs/operations.md); flags override the file"
                  : "settings from a JSON object: the long options below as keys ('_' for '-'), the arguments as "
                    "\"vni\", \"local\", \"path\", \"remote\" (docs/operations.md); flags override the file",
              [&](const std::string& v) { c.config_file = parse_file_name("config file", v); })
            .only_once()
            .not_in_file());
  p.add(flag("check-config",
             "check the arguments and --config file, print the settings as JSON and exit (creates "
             "nothing, reads no key file)",
             [&] { s.check = true; })
            .not_in_file());
  if (mode == Mode::kServer) {
    p.add(value("name", "NAME", R"(status socket name (default: the interface, or "geneve-server" with "clients"))",
                [&](const std::string& v) { c.name = parse_ifname(v); }));
  }
  if (mode == Mode::kClient || mode == Mode::kAuto) {
    p.add(value("nat64-prefix", "PREFIX",
                "put an IPv4 PATH inside these NAT64 prefixes (for a host with IPv6 only behind NAT64s): one "
                "candidate path each, the first alive carries data; 'auto' learns them from the DNS64 (RFC 7050, "
                "ipv4only.arpa) at start and again when every one is dead (repeatable; in a file: a list)",
                [&](const std::string& v) { add_nat64_prefixes(c, v); })
              .list([&] {
                c.nat64_prefixes.clear();
                c.discover_nat64_prefixes = false;
              }));
  }
  p.add(value("ifname", "NAME", "tunnel interface name (default gnv%d: the kernel picks gnv0, gnv1, ...)",
              // "%d" is a kernel template; check the rest as a literal name.
              [&](const std::string& v) { c.ifname = parse_ifname(v); }));
  p.add(value("mtu", "N",
              "inner MTU (default: underlay MTU minus the tunnel overhead, 94 bytes with the routing option)",
              [&](const std::string& v) { c.mtu = parse_uint("MTU", v, net::kMinInnerMtu, net::kMaxInnerMtu); })
            .number());
  p.add(value("address", "ADDR/LEN", "assign an address to the tunnel interface (repeatable; in a file: a list)",
              [&](const std::string& v) {
                net::InterfaceAddress::parse(v);  // validates; kept as text for netlink
                c.addresses.push_back(v);
              })
            .list([&] { c.addresses.clear(); }));
  p.add(value("key-file", "FILE",
              "pre-shared key (base64, `geneve-ctl genkey`): every control message is authenticated and a path "
              "moves only on authenticated messages (docs/protocol.md 6.3)",
              [&](const std::string& v) { c.key_file = parse_file_name("key file", v); }));
  p.add(value("keepalive", "SECONDS",
              "probe interval, 1..25 (default 5; NATs forget an unanswered UDP mapping after 30 s)",
              [&](const std::string& v) {
                c.timing.keepalive = std::chrono::seconds(parse_uint("keepalive interval", v, 1, 25));
              })
            .number());
  p.add(value("dead-after", "N", "missed replies before a path is dead (default 3)", [&](const std::string& v) {
          c.timing.dead_after = parse_uint("dead-after", v, 1, 100);
        }).number());
  p.add(value("port", "N", "UDP port we listen on and send to (default 6081)", [&](const std::string& v) {
          c.port = parse_port("port", v);
        }).number());
  p.add(value("source-port", "N", "UDP source port of every packet (default: --port); fixed so a NAT keeps one mapping",
              [&](const std::string& v) {
                c.source_port = parse_port("source port", v);
                s.source_port_set = true;
              })
            .number());
  p.add(flag("no-route-option", "send no NAT64 routing option", [&] { c.route_option = false; }));
  p.add(value("option-class", "N", "class of the NAT64 routing option (default 0x0162)", [&](const std::string& v) {
          c.option_id.option_class = parse_option_class(v);
        }).number());
  p.add(value("option-type", "N", "type of the NAT64 routing option (default 0x01; must be non-critical, below 0x80)",
              [&](const std::string& v) { c.option_id.type = parse_option_type(v); })
            .number());
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
  Option help = flag("help", "show this help and exit", [&] { s.help = true; }).not_in_file();
  help.short_name = 'h';
  p.add(std::move(help));
  p.add(flag("version", "show the version and exit", [&] {
          s.result.action = ParseResult::Action::kVersion;
        }).not_in_file());
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
       geneve-symmetric [OPTIONS] --config FILE

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
       geneve-client [OPTIONS] --config FILE

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
       geneve-auto [OPTIONS] --config FILE

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

namespace {

// The --config keys that are not options: the positional arguments, and a
// server's "interface" and "clients". They are collected here and read once
// every key is in (a client's "allowed_ips" depend on "interface").
std::vector<FileKey> file_keys(Mode mode, ParseState& s) {
  std::vector<FileKey> keys;
  for (const std::string& key : argument_keys(mode)) {
    keys.push_back({key, [&s, key](const nlohmann::json& v, const std::string& path) {
                      s.file_args[key] = key == "vni" ? expect_number(v, path) : expect_string(v, path);
                    }});
  }
  if (mode == Mode::kServer) {
    keys.push_back({"interface",
                    [&s](const nlohmann::json& v, const std::string& path) { s.interface = expect_object(v, path); }});
    keys.push_back({"clients", [&s](const nlohmann::json& v, const std::string& path) {
                      if (!v.is_array() || v.empty())
                        throw UsageError(path + ": expected a non-empty array of client objects, got " +
                                         (v.is_array() ? std::string("an empty array") : std::string(v.type_name())));
                      s.clients = v;
                    }});
  }
  return keys;
}

SharedInterface parse_shared_interface(const nlohmann::json& j) {
  const std::string path = ".interface";
  check_keys(j, {"ifname", "address"}, path);
  SharedInterface s;
  if (j.contains("ifname"))
    at_path(path + ".ifname", [&] { s.ifname = parse_ifname(expect_string(j["ifname"], path + ".ifname")); });
  if (j.contains("address"))
    for_each_string(j["address"], path + ".address", [&](const std::string& a, const std::string& where) {
      at_path(where, [&] { net::InterfaceAddress::parse(a); });
      s.addresses.push_back(a);
    });
  return s;
}

PeerSpec parse_client(const nlohmann::json& e, const std::string& where, bool shared) {
  expect_object(e, where);
  check_keys(e, {"name", "vni", "remote", "key_file", "ifname", "address", "allowed_ips"}, where);
  auto str = [&](const char* k) -> std::optional<std::string> {
    if (!e.contains(k)) return std::nullopt;
    return expect_string(e[k], where + "." + k);
  };
  PeerSpec p;
  if (!e.contains("vni")) throw UsageError(where + ".vni: missing (the client's VNI)");
  at_path(where + ".vni", [&] { p.vni = parse_vni(expect_number(e["vni"], where + ".vni")); });
  auto remote = str("remote");
  if (!remote) throw UsageError(where + ".remote: missing (the client's IPv6 address)");
  at_path(where + ".remote", [&] { p.remote = parse_address("remote", *remote, net::Family::kV6); });
  p.name = str("name").value_or(p.remote.to_string());
  if (auto key = str("key_file")) at_path(where + ".key_file", [&] { p.key_file = parse_file_name("key file", *key); });
  for (const char* k : {"ifname", "address"})
    if (shared && e.contains(k))
      throw UsageError(where + "." + k + R"(: belongs to "interface" when the clients share one)");
  if (!shared && e.contains("allowed_ips"))
    throw UsageError(where + R"(.allowed_ips: applies to clients sharing one "interface" (none is configured))");
  if (auto ifname = str("ifname")) at_path(where + ".ifname", [&] { p.ifname = parse_ifname(*ifname); });
  if (e.contains("address"))
    for_each_string(e["address"], where + ".address", [&](const std::string& a, const std::string& at) {
      at_path(at, [&] { net::InterfaceAddress::parse(a); });
      p.addresses.push_back(a);
    });
  if (shared) {
    if (!e.contains("allowed_ips"))
      throw UsageError(where + ".allowed_ips: missing (the client's inner prefixes): clients share one interface");
    for_each_string(e["allowed_ips"], where + ".allowed_ips", [&](const std::string& a, const std::string& at) {
      at_path(at, [&] { p.allowed_ips.push_back(net::IpPrefix::parse(a)); });
    });
    if (p.allowed_ips.empty()) throw UsageError(where + ".allowed_ips: empty: the client could send nothing");
  }
  return p;
}

// A server's clients, from its file's "clients" (and "interface").
void load_clients(ParseState& s) {
  EndpointConfig& cfg = s.result.config;
  if (s.interface) cfg.shared_interface = parse_shared_interface(*s.interface);
  const bool shared = cfg.shared_interface.has_value();
  std::set<std::pair<net::IpAddress, std::uint32_t>> seen;
  // Which client holds each prefix (normalised), to name both of a clash.
  std::map<std::pair<net::IpAddress, int>, std::string> owners;
  std::size_t index = 0;
  for (const auto& e : *s.clients) {
    const std::string where = ".clients[" + std::to_string(index++) + "]";
    PeerSpec p = parse_client(e, where, shared);
    if (!seen.insert({p.remote, p.vni}).second)
      throw UsageError(where + ": another client has remote " + p.remote.to_string() + " and VNI " +
                       std::to_string(p.vni) + " (a client is known by both)");
    for (const auto& prefix : p.allowed_ips) {
      auto [it, added] = owners.emplace(std::pair{prefix.network(), prefix.length()}, p.name);
      if (!added)
        throw UsageError(where + ".allowed_ips: " + prefix.to_string() + " is also client " + it->second +
                         "'s (a prefix has one owner; a longer one inside it may be another client's)");
    }
    cfg.clients.push_back(std::move(p));
  }
}

// One positional argument's text and where it came from, for its errors.
struct Argument {
  std::string text;
  std::string origin;  // "" (the command line) or "config FILE: .vni"
};

template <typename Fn>
auto parse_argument(const Argument& a, Fn parse) {
  if (a.origin.empty()) return parse(a.text);
  try {
    return parse(a.text);
  } catch (const UsageError& e) {
    throw UsageError(a.origin + ": " + e.what());
  }
}

// The positional arguments: from the command line when it has any (all of
// them), else from the file's keys.
std::vector<Argument> arguments(Mode mode, const ParseState& s, const std::vector<std::string>& positional) {
  const std::vector<std::string> keys = argument_keys(mode);
  std::string names, key_list;
  for (const auto& k : keys) {
    std::string upper = k;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char ch) { return std::toupper(ch); });
    names += (names.empty() ? "" : " ") + upper;
    key_list += (key_list.empty() ? "\"" : ", \"") + k + "\"";
  }
  std::vector<Argument> out;
  if (!positional.empty() || s.file_args.empty()) {
    if (positional.size() != keys.size())
      throw UsageError("expected " + std::to_string(keys.size()) + " arguments " + names + " (or the keys " + key_list +
                       " in --config), got " + std::to_string(positional.size()) + " (see --help)");
    for (const auto& p : positional) out.push_back({p, ""});
    return out;
  }
  const std::string& file = s.result.config.config_file;
  for (const auto& k : keys) {
    auto it = s.file_args.find(k);
    if (it == s.file_args.end())
      throw UsageError("config " + file + ": ." + k + ": missing (the file gives " + key_list + " together, or give " +
                       names + " as arguments)");
    out.push_back({it->second, "config " + file + ": ." + k});
  }
  return out;
}

}  // namespace

ParseResult parse_endpoint(Mode mode, const std::vector<std::string>& args) {
  ParseState state;
  ParseResult& result = state.result;
  EndpointConfig& c = result.config;
  c.mode = mode;
  c.command = std::string("geneve-") + std::string(to_string(mode));
  OptionParser options = endpoint_options(mode, state);
  const ScannedArgs scanned = options.scan(args);
  if (scanned.last("help")) {
    result.action = ParseResult::Action::kHelp;
    return result;
  }
  if (scanned.last("version")) {
    result.action = ParseResult::Action::kVersion;
    return result;
  }
  std::optional<nlohmann::json> doc;
  if (const auto* file = scanned.last("config")) {
    c.config_file = parse_file_name("config file", file->front());
    doc = read_config_file(c.config_file, kMaxConfigFile);
    try {
      apply_config(*doc, options, file_keys(mode, state), c.command);
      if (state.clients) {
        // Each client has its own VNI, remote and interface.
        for (const char* k : {"vni", "remote", "ifname", "address"})
          if (doc->contains(k)) throw UsageError(std::string(".") + k + ": not with \"clients\", which give their own");
        if (!doc->contains("local")) throw UsageError(".local: missing (this server's IPv6 address)");
        load_clients(state);
      } else if (state.interface) {
        throw UsageError(".interface: only with \"clients\" (the clients that share it)");
      }
    } catch (const UsageError& e) {
      throw UsageError("config " + c.config_file + ": " + e.what());
    }
  }
  // Flags override the file.
  auto positional = options.apply(scanned);
  if (state.check) result.action = ParseResult::Action::kCheck;
  if (!state.source_port_set) c.source_port = c.port;

  if (state.clients) {
    if (!positional.empty())
      throw UsageError("--config " + c.config_file +
                       " lists the clients: give no VNI LOCAL REMOTE arguments with it (see --help)");
    for (const char* flag : {"ifname", "address"})
      if (scanned.last(flag))
        throw UsageError(std::string("--") + flag + ": each client of --config " + c.config_file +
                         " has its own (or \"interface\" for all)");
    c.local = parse_argument(Argument{state.file_args["local"], "config " + c.config_file + ": .local"},
                             [](const std::string& t) { return parse_address("LOCAL", t, net::Family::kV6); });
    if (c.name.empty()) c.name = "geneve-server";
    return result;
  }
  const std::vector<Argument> a = arguments(mode, state, positional);
  c.vni = parse_argument(a[0], parse_vni);
  c.local = parse_argument(a[1], [](const std::string& t) { return parse_address("LOCAL", t, net::Family::kV6); });
  const Argument& remote = a.back();
  if (mode != Mode::kServer) {
    const Argument& path = a[2];
    c.path_text = path.text;
    if (mode == Mode::kSymmetric) {
      c.path = parse_argument(path, [](const std::string& t) { return parse_address("PATH", t, std::nullopt); });
    } else if (auto addr = net::IpAddress::parse(path.text)) {
      c.path = *addr;
    } else if (!is_host_name(path.text)) {
      std::string what = "PATH '" + path.text + "' is neither an IP address nor a host name";
      throw UsageError(path.origin.empty() ? what : path.origin + ": " + what);
    }
  }
  c.remote = parse_argument(remote, [](const std::string& t) { return parse_address("REMOTE", t, net::Family::kV6); });
  if (c.local == c.remote) throw UsageError("LOCAL and REMOTE are the same address " + c.local.to_string());
  return result;
}

std::vector<PeerSpec> peers_of(EndpointConfig& cfg) {
  if (!cfg.clients.empty()) return cfg.clients;
  PeerSpec p;
  p.name = cfg.remote.to_string();
  p.vni = cfg.vni;
  p.remote = cfg.remote;
  p.key_file = cfg.key_file;
  p.ifname = cfg.ifname;
  p.addresses = cfg.addresses;
  std::vector<PeerSpec> peers;
  peers.push_back(std::move(p));
  return peers;
}

}  // namespace gn::config
