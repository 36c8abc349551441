// geneve-codec-tool: the codec on the command line, for cross-checks against
// other implementations (tests/interop) and for reading captures by hand.
//   geneve-codec-tool parse HEX
//   geneve-codec-tool build --vni N [--protocol P] [--oam] [--route ADDR PORT]
//                           [--option CLASS TYPE HEX]... [--payload HEX]
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/cli.hpp"
#include "fmt/format.h"
#include "geneve/codec.hpp"
#include "util/error.hpp"

namespace {

std::vector<std::uint8_t> from_hex(const std::string& h) {
  if (h.size() % 2) throw gn::UsageError("hex string has odd length");
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < h.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
  return out;
}

std::string to_hex(std::span<const std::uint8_t> b) {
  std::string s;
  for (auto c : b) s += fmt::format("{:02x}", c);
  return s;
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

int build_cmd(const std::vector<std::string>& a) {
  std::uint32_t vni = 0;
  std::uint16_t proto = gn::geneve::kProtoEthernet;
  bool oam = false;
  std::vector<std::uint8_t> payload;
  struct Opt {
    std::uint16_t cls;
    std::uint8_t type;
    std::vector<std::uint8_t> data;
    bool route;
    gn::geneve::Nat64Route r;
  };
  std::vector<Opt> opts;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto need = [&](std::size_t n) {
      if (i + n >= a.size()) throw gn::UsageError(a[i] + " needs " + std::to_string(n) + " values");
    };
    if (a[i] == "--vni") {
      need(1);
      vni = gn::config::parse_vni(a[++i]);
    } else if (a[i] == "--protocol") {
      need(1);
      proto = static_cast<std::uint16_t>(gn::config::parse_uint("protocol", a[++i], 0, 0xffff));
    } else if (a[i] == "--oam")
      oam = true;
    else if (a[i] == "--payload") {
      need(1);
      payload = from_hex(a[++i]);
    } else if (a[i] == "--route") {
      need(2);
      auto addr = gn::config::parse_address("route address", a[i + 1], gn::net::Family::kV6);
      opts.push_back({0, 0, {}, true, {addr.bytes(), gn::config::parse_port("route port", a[i + 2])}});
      i += 2;
    } else if (a[i] == "--option") {
      need(3);
      opts.push_back({static_cast<std::uint16_t>(gn::config::parse_uint("class", a[i + 1], 0, 0xffff)),
                      static_cast<std::uint8_t>(gn::config::parse_uint("type", a[i + 2], 0, 0xff)),
                      from_hex(a[i + 3]),
                      false,
                      {}});
      i += 3;
    } else
      throw gn::UsageError("unknown build argument '" + a[i] + "'");
  }
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 2 && args[0] == "parse") return parse_cmd(args[1]);
    if (!args.empty() && args[0] == "build") return build_cmd({args.begin() + 1, args.end()});
    std::fputs(
        "usage: geneve-codec-tool parse HEX | build --vni N [--protocol P] [--oam] [--route ADDR PORT] "
        "[--option CLASS TYPE HEX]... [--payload HEX]\n",
        stderr);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "geneve-codec-tool: %s\n", e.what());
    return 2;
  }
}
