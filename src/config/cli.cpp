#include "config/cli.hpp"

#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>

#include "net/mtu.hpp"
#include "util/error.hpp"

namespace gn::config {

const char* to_string(Dataplane d) {
  switch (d) {
    case Dataplane::kAuto: return "auto";
    case Dataplane::kKernel: return "kernel";
    case Dataplane::kUserspace: return "userspace";
  }
  return "?";
}

std::uint32_t parse_uint(const std::string& what, const std::string& text, std::uint32_t min, std::uint32_t max) {
  std::uint64_t value = 0;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    begin += 2;
    base = 16;
  }
  auto [ptr, ec] = std::from_chars(begin, end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max)
    throw UsageError(what + " '" + text + "' is not a number in " + std::to_string(min) + ".." + std::to_string(max));
  return static_cast<std::uint32_t>(value);
}

std::uint32_t parse_vni(const std::string& text) {
  return parse_uint("VNI", text, 0, geneve::kMaxVni);
}

std::uint16_t parse_port(const std::string& what, const std::string& text) {
  return static_cast<std::uint16_t>(parse_uint(what, text, 1, 65535));
}

net::IpAddress parse_address(const std::string& what, const std::string& text, std::optional<net::Family> family) {
  auto a = net::IpAddress::parse(text);
  if (!a) throw UsageError(what + " '" + text + "' is not an IP address");
  if (family && a->family() != *family)
    throw UsageError(what + " '" + text + "' must be an " + (*family == net::Family::kV6 ? "IPv6" : "IPv4") +
                     " address");
  return *a;
}

std::string parse_ifname(const std::string& text) {
  if (text.empty() || text.size() > 15 || text == "." || text == "..")
    throw UsageError("interface name '" + text + "' must be 1..15 characters");
  for (char c : text) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f)
      throw UsageError("interface name '" + text + "' contains '/', ':' or white space");
  }
  return text;
}

namespace {

// A minimal GNU-style option parser: "--name value", "--name=value", "--flag",
// and "--" ending options. Unknown options are errors.
class OptionParser {
 public:
  using Handler = std::function<void(const std::string&)>;
  void flag(const std::string& name, std::function<void()> fn) { flags_[name] = std::move(fn); }
  void value(const std::string& name, Handler fn) { values_[name] = std::move(fn); }

  // Returns the positional arguments.
  std::vector<std::string> run(const std::vector<std::string>& args) {
    std::vector<std::string> positional;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--") {
        positional.insert(positional.end(), args.begin() + static_cast<long>(i) + 1, args.end());
        break;
      }
      if (a == "-h") {
        a_help();
        continue;
      }
      if (a.size() < 3 || a.compare(0, 2, "--") != 0) {
        if (a.size() > 1 && a[0] == '-' && !is_negative_number(a))
          throw UsageError("unknown option '" + a + "' (see --help)");
        positional.push_back(a);
        continue;
      }
      auto eq = a.find('=');
      std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (auto f = flags_.find(name); f != flags_.end()) {
        if (eq != std::string::npos) throw UsageError("option '--" + name + "' takes no value");
        f->second();
      } else if (auto v = values_.find(name); v != values_.end()) {
        if (eq != std::string::npos) {
          v->second(a.substr(eq + 1));
        } else {
          if (i + 1 >= args.size()) throw UsageError("option '--" + name + "' needs a value");
          v->second(args[++i]);
        }
      } else {
        throw UsageError("unknown option '--" + name + "' (see --help)");
      }
    }
    return positional;
  }

  std::function<void()> a_help = [] {};

 private:
  static bool is_negative_number(const std::string& a) { return a.size() > 1 && a[1] >= '0' && a[1] <= '9'; }
  std::map<std::string, std::function<void()>> flags_;
  std::map<std::string, Handler> values_;
};

}  // namespace

std::string symmetric_usage() {
  return R"(Usage: geneve-symmetric [OPTIONS] VNI LOCAL PATH REMOTE

Runs one end of a GENEVE tunnel between two IPv6 sites, carrying Ethernet
frames, where both ends can be reached through their path: directly over
IPv6, or through NAT64 gateways that have the GENEVE NAT64 extension.

Arguments:
  VNI      virtual network identifier, 0..16777215 (same on both ends)
  LOCAL    this endpoint's IPv6 address (the socket is bound to it)
  PATH     where packets are sent: the peer's IPv6 address, or the peer
           gateway's public IPv4 address inside our NAT64 prefix
           (e.g. 2001:db8:64::203.0.113.90); an IPv4 address uses an
           IPv4 underlay
  REMOTE   the peer's IPv6 address (named in the NAT64 routing option)

Options:
  --ifname NAME         tunnel interface name (default gnv%d: the kernel
                        picks gnv0, gnv1, ...)
  --mtu N               inner MTU (default: underlay route MTU minus the
                        tunnel overhead, 94 bytes with the routing option)
  --address ADDR/LEN    assign an address to the tunnel interface
                        (repeatable)
  --port N              UDP port we listen on and send to (default 6081)
  --source-port N       UDP source port of every packet (default: --port);
                        fixed so a NAT keeps one mapping
  --no-route-option     send no NAT64 routing option (direct IPv6 peers
                        that do not want it)
  --option-class N      class of the NAT64 routing option (default 0x0162)
  --option-type N       type of the NAT64 routing option (default 0x01;
                        must be non-critical, below 0x80)
  --dataplane MODE      auto | kernel | userspace (default auto)
  --run-dir DIR         where the status socket is created
                        (default /run/geneve-nat64)
  --log-level LEVEL     debug | info | warn | error (default info)
  -h, --help            show this help and exit
  --version             show the version and exit

SIGINT or SIGTERM removes the interface and exits 0. Status:
geneve-ctl show [IFNAME] [--json].
)";
}

ParseResult parse_symmetric(const std::vector<std::string>& args) {
  ParseResult result;
  EndpointConfig& c = result.config;
  c.mode = "symmetric";
  bool source_port_set = false;
  bool help = false;
  OptionParser p;
  p.a_help = [&] { help = true; };
  p.flag("help", [&] { help = true; });
  p.flag("version", [&] { result.action = ParseResult::Action::kVersion; });
  p.flag("no-route-option", [&] { c.route_option = false; });
  p.value("ifname", [&](const std::string& v) {
    // "%d" is a kernel template; check the rest as a literal name.
    c.ifname = parse_ifname(v);
  });
  p.value("mtu", [&](const std::string& v) { c.mtu = parse_uint("MTU", v, net::kMinInnerMtu, net::kMaxInnerMtu); });
  p.value("address", [&](const std::string& v) {
    net::IpPrefix::parse(v);  // validates; kept as text for netlink
    c.addresses.push_back(v);
  });
  p.value("port", [&](const std::string& v) { c.port = parse_port("port", v); });
  p.value("source-port", [&](const std::string& v) {
    c.source_port = parse_port("source port", v);
    source_port_set = true;
  });
  p.value("option-class", [&](const std::string& v) {
    c.option_id.option_class = static_cast<std::uint16_t>(parse_uint("option class", v, 0, 0xffff));
  });
  p.value("option-type", [&](const std::string& v) {
    c.option_id.type = static_cast<std::uint8_t>(parse_uint("option type", v, 0, 0x7f));
  });
  p.value("dataplane", [&](const std::string& v) {
    if (v == "auto")
      c.dataplane = Dataplane::kAuto;
    else if (v == "kernel")
      c.dataplane = Dataplane::kKernel;
    else if (v == "userspace")
      c.dataplane = Dataplane::kUserspace;
    else
      throw UsageError("data plane '" + v + "' is not one of auto, kernel, userspace");
  });
  p.value("run-dir", [&](const std::string& v) {
    if (v.empty() || v[0] != '/') throw UsageError("run directory '" + v + "' must be an absolute path");
    c.run_dir = v;
  });
  p.value("log-level", [&](const std::string& v) {
    if (!log::parse_level(v, c.log_level))
      throw UsageError("log level '" + v + "' is not one of debug, info, warn, error");
  });

  auto positional = p.run(args);
  if (help) {
    result.action = ParseResult::Action::kHelp;
    return result;
  }
  if (result.action == ParseResult::Action::kVersion) return result;
  if (positional.size() != 4)
    throw UsageError("expected 4 arguments VNI LOCAL PATH REMOTE, got " + std::to_string(positional.size()) +
                     " (see --help)");
  c.vni = parse_vni(positional[0]);
  c.local = parse_address("LOCAL", positional[1], net::Family::kV6);
  c.path = parse_address("PATH", positional[2], std::nullopt);
  c.remote = parse_address("REMOTE", positional[3], net::Family::kV6);
  if (!source_port_set) c.source_port = c.port;
  if (c.local == c.remote) throw UsageError("LOCAL and REMOTE are the same address " + c.local.to_string());
  return result;
}

}  // namespace gn::config
