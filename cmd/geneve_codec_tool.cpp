// geneve-codec-tool: the codec on the command line, for cross-checks against
// other implementations (tests/interop) and for reading captures by hand.
//   geneve-codec-tool parse HEX
//   geneve-codec-tool build --vni N [--protocol P] [--oam] [--route ADDR PORT]
//                           [--option CLASS TYPE HEX]... [--payload HEX]
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/values.hpp"
#include "geneve/codec.hpp"
#include "util/error.hpp"
#include "util/hex.hpp"
#include "util/options.hpp"

namespace {

using gn::to_hex;

std::vector<std::uint8_t> from_hex(const std::string& h) {
  auto bytes = gn::parse_hex(h);
  if (!bytes) throw gn::UsageError("not a hex string (pairs of digits 0-9, a-f): " + h);
  return *std::move(bytes);
}

int parse_cmd(const std::string& hex) {
  auto bytes = from_hex(hex);
  gn::geneve::Packet p;
  auto err = gn::geneve::parse(bytes, gn::geneve::OptionId{}, p);
  nlohmann::json j = {{"error", std::string(gn::geneve::to_string(err))}};
  if (err == gn::geneve::ParseError::kOk || err == gn::geneve::ParseError::kUnknownCritical) {
    j["version"] = p.version;
    j["oam"] = p.oam;
    j["critical"] = p.critical_flag;
    j["protocol"] = p.protocol;
    j["vni"] = p.vni;
    j["options"] = nlohmann::json::array();
    gn::geneve::for_each_option(p.options, [&](const gn::geneve::OptionView& o) {
      j["options"].push_back({{"class", o.option_class}, {"type", o.type}, {"data", to_hex(o.data)}});
    });
    j["route_state"] = std::string(gn::geneve::to_string(p.route_state));
    if (p.route_state == gn::geneve::RouteState::kPresent) {
      j["route_address"] = gn::net::IpAddress::v6(p.route.address).to_string();
      j["route_port"] = p.route.port;
    }
    j["payload"] = to_hex(p.payload);
  }
  std::puts(j.dump().c_str());
  return 0;
}

// One option of the header being built: the NAT64 routing option or any
// other.
struct Opt {
  std::uint16_t cls;
  std::uint8_t type;
  std::vector<std::uint8_t> data;
  bool route;
  gn::geneve::Nat64Route r;
};

gn::OptionParser build_options(std::uint32_t& vni, std::uint16_t& proto, bool& oam, std::vector<std::uint8_t>& payload,
                               std::vector<Opt>& opts) {
  using gn::config::parse_uint;
  return gn::OptionParser({
      gn::value("vni", "N", "virtual network identifier",
                [&](const std::string& v) { vni = gn::config::parse_vni(v); }),
      gn::value(
          "protocol", "P", "protocol type (default 0x6558: Ethernet)",
          [&](const std::string& v) { proto = static_cast<std::uint16_t>(parse_uint("protocol", v, 0, 0xffff)); }),
      gn::flag("oam", "set the OAM bit", [&] { oam = true; }),
      gn::value("payload", "HEX", "payload after the header", [&](const std::string& v) { payload = from_hex(v); }),
      gn::values("route", 2, "ADDR PORT", "add the NAT64 routing option",
                 [&](const std::vector<std::string>& v) {
                   auto addr = gn::config::parse_address("route address", v[0], gn::net::Family::kV6);
                   opts.push_back({0, 0, {}, true, {addr.bytes(), gn::config::parse_port("route port", v[1])}});
                 }),
      gn::values("option", 3, "CLASS TYPE HEX", "add an option (repeatable)",
                 [&](const std::vector<std::string>& v) {
                   opts.push_back({static_cast<std::uint16_t>(parse_uint("class", v[0], 0, 0xffff)),
                                   static_cast<std::uint8_t>(parse_uint("type", v[1], 0, 0xff)),
                                   from_hex(v[2]),
                                   false,
                                   {}});
                 }),
  });
}

int build_cmd(const std::vector<std::string>& a) {
  std::uint32_t vni = 0;
  std::uint16_t proto = gn::geneve::kProtoEthernet;
  bool oam = false;
  std::vector<std::uint8_t> payload;
  std::vector<Opt> opts;
  auto positional = build_options(vni, proto, oam, payload, opts).parse(a);
  if (!positional.empty()) throw gn::UsageError("unexpected argument '" + positional[0] + "'");
  gn::geneve::HeaderBuilder b(vni, proto);
  b.oam(oam);
  for (const auto& o : opts) {
    if (o.route)
      b.add_route(gn::geneve::OptionId{}, o.r);
    else
      b.add_option(o.cls, o.type, o.data);
  }
  std::printf("%s%s\n", to_hex(b.bytes()).c_str(), to_hex(payload).c_str());
  return 0;
}

std::string usage() {
  std::uint32_t vni = 0;
  std::uint16_t proto = 0;
  bool oam = false;
  std::vector<std::uint8_t> payload;
  std::vector<Opt> opts;
  return "Usage: geneve-codec-tool parse HEX\n"
         "       geneve-codec-tool build --vni N [OPTIONS]\n\n"
         "parse prints the packet as JSON; build prints the packet as hex.\n\nbuild options:\n" +
         build_options(vni, proto, oam, payload, opts).help();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "parse") return parse_cmd(args[1]);
    if (!args.empty() && args[0] == "build") return build_cmd({args.begin() + 1, args.end()});
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
      std::fputs(usage().c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "geneve-codec-tool: expected 'parse HEX' or 'build ...' (see --help)\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "geneve-codec-tool: %s\n", e.what());
    return 2;
  }
}
