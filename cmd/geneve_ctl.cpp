// geneve-ctl: inspect running endpoints through their status sockets.
#include <dirent.h>

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "control/control_socket.hpp"
#include "fmt/format.h"
#include "util/error.hpp"
#include "version.hpp"

namespace {

constexpr const char* kUsage = R"(Usage: geneve-ctl show [IFNAME] [--json] [--run-dir DIR]
       geneve-ctl --help | --version

Shows the state of running GENEVE-through-NAT64 endpoints: every one, or
the one serving IFNAME. --json prints the endpoints' status documents as a
JSON array (one object with IFNAME).

Options:
  --json          machine-readable output
  --run-dir DIR   where endpoints keep their status sockets
                  (default /run/geneve-nat64)
)";

std::string human_bytes(std::uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  return u == 0 ? fmt::format("{} B", b) : fmt::format("{:.2f} {}", v, units[u]);
}

void print_human(const nlohmann::json& s) {
  fmt::print("interface: {}\n", s.value("interface", "?"));
  fmt::print("  mode: {}, vni {}\n", s.value("mode", "?"), s.value("vni", 0));
  fmt::print("  data plane: {} ({})\n", s["dataplane"].value("kind", "?"), s["dataplane"].value("reason", ""));
  fmt::print("  listening: {}, source port {}\n", s.value("listen", "?"), s.value("source_port", 0));
  fmt::print("  mtu: {} (underlay {})\n", s.value("mtu", 0), s.value("underlay_mtu", 0));
  const auto& ro = s["route_option"];
  fmt::print("  NAT64 routing option: class {} type {}, {}\n", ro.value("class", "?"), ro.value("type", "?"),
             ro.value("sent", false) ? "sent" : "not sent");
  for (const auto& p : s["peers"]) {
    fmt::print("\npeer: {}\n", p.value("remote", "?"));
    fmt::print("  path: {}\n", p.value("path", "?"));
    if (p["last_rx_seconds_ago"].is_null())
      fmt::print("  latest receive: never\n");
    else
      fmt::print("  latest receive: {:.1f} seconds ago\n", p["last_rx_seconds_ago"].get<double>());
    fmt::print("  transfer: {} received ({} packets), {} sent ({} packets)\n", human_bytes(p.value("rx_bytes", 0ull)),
               p.value("rx_packets", 0ull), human_bytes(p.value("tx_bytes", 0ull)), p.value("tx_packets", 0ull));
    std::string drops;
    for (const auto& [reason, count] : p["drops"].items()) {
      if (count.get<std::uint64_t>() > 0)
        drops += fmt::format("{}{} {}", drops.empty() ? "" : ", ", reason, count.get<std::uint64_t>());
    }
    fmt::print("  drops: {}\n", drops.empty() ? "none" : drops);
  }
}

std::vector<std::string> list_sockets(const std::string& run_dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(run_dir.c_str());
  if (!d) return names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".sock") == 0) names.push_back(n.substr(0, n.size() - 5));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool json = false;
  std::string run_dir = "/run/geneve-nat64";
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& a = args[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (a == "--version") {
      std::printf("geneve-ctl %s\n", gn::kVersion);
      return 0;
    }
    if (a == "--json") {
      json = true;
    } else if (a == "--run-dir") {
      if (++i >= args.size()) {
        std::fprintf(stderr, "geneve-ctl: option '--run-dir' needs a value\n");
        return 2;
      }
      run_dir = args[i];
    } else if (a.size() > 1 && a[0] == '-') {
      std::fprintf(stderr, "geneve-ctl: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    } else {
      positional.push_back(a);
    }
  }
  if (positional.empty() || positional[0] != "show" || positional.size() > 2) {
    std::fprintf(stderr, "geneve-ctl: expected 'show [IFNAME]' (see --help)\n");
    return 2;
  }
  std::vector<std::string> names =
      positional.size() == 2 ? std::vector<std::string>{positional[1]} : list_sockets(run_dir);
  nlohmann::json all = nlohmann::json::array();
  int rc = 0;
  for (const auto& name : names) {
    try {
      all.push_back(nlohmann::json::parse(gn::control::read_status(run_dir + "/" + name + ".sock")));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "geneve-ctl: %s: %s\n", name.c_str(), e.what());
      rc = 1;
    }
  }
  if (json) {
    std::puts((positional.size() == 2 && all.size() == 1 ? all[0] : all).dump(2).c_str());
  } else {
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (i) std::puts("");
      print_human(all[i]);
    }
  }
  return rc;
}
