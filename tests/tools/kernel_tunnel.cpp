// Drives KernelDataplane for the VM tests until the endpoint commands use
// it (tests/vm/kernel_dataplane.sh).
//
//   kernel_tunnel up IFNAME VNI LOCAL PEER [--port N] [--source-port N]
//       [--route-option REMOTE] [--mtu N] [--address A/L]... [--send-control]
//     runs until SIGTERM/SIGINT, then removes everything. --send-control
//     sends a control frame (docs/protocol.md 6) every 0.2 s; received
//     control frames are counted and the first is logged.
//   kernel_tunnel probe IFNAME VNI LOCAL PEER [...]   prints why not, or "supported"
//   kernel_tunnel cleanup                             remove_stale_objects()
//
// Exit: 0 done, 2 bad usage, 3 kernel unsupported, 1 any other failure.
#include <poll.h>
#include <csignal>
#include <sys/signalfd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dataplane/kernel.hpp"
#include "geneve/control.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/log.hpp"

using namespace gn;

namespace {

std::uint32_t number(const std::string& s, std::uint32_t max, const char* what) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 10);
  if (s.empty() || *end || v > max) throw UsageError(fmt::format("bad {} '{}'", what, s));
  return static_cast<std::uint32_t>(v);
}

net::IpAddress address(const std::string& s, const char* what) {
  auto a = net::IpAddress::parse(s);
  if (!a) throw UsageError(fmt::format("bad {} '{}'", what, s));
  return *a;
}

struct Options {
  dataplane::KernelTunnelConfig cfg;
  bool send_control = false;
};

Options parse(const std::vector<std::string>& args) {
  if (args.size() < 4) throw UsageError("usage: kernel_tunnel up|probe IFNAME VNI LOCAL PEER [options]");
  Options o;
  auto& c = o.cfg;
  c.ifname = args[0];
  c.vni = number(args[1], geneve::kMaxVni, "VNI");
  c.local = address(args[2], "LOCAL");
  c.peer.address = address(args[3], "PEER");
  c.peer.port = geneve::kDefaultPort;
  std::optional<net::IpAddress> route;
  for (std::size_t i = 4; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) throw UsageError(a + " needs a value");
      return args[++i];
    };
    if (a == "--port") {
      c.listen_port = c.peer.port = static_cast<std::uint16_t>(number(value(), 65535, "port"));
    } else if (a == "--peer-port") {
      c.peer.port = static_cast<std::uint16_t>(number(value(), 65535, "port"));
    } else if (a == "--source-port") {
      c.source_port = static_cast<std::uint16_t>(number(value(), 65535, "source port"));
    } else if (a == "--route-option") {
      route = address(value(), "route option address");
    } else if (a == "--mtu") {
      c.mtu = number(value(), 65535, "MTU");
    } else if (a == "--address") {
      c.addresses.push_back(value());
    } else if (a == "--send-control") {
      o.send_control = true;
    } else {
      throw UsageError("unknown option " + a);
    }
  }
  if (route) {
    if (!route->is_v6()) throw UsageError("the routing option names an IPv6 address");
    c.route = geneve::Nat64Route{route->bytes(), c.peer.port};
  }
  return o;
}

std::vector<std::uint8_t> control_frame() {
  std::vector<std::uint8_t> f(geneve::kControlHeaderLen, 0);
  std::memcpy(f.data(), geneve::kControlMac.data(), 6);
  f[12] = geneve::kControlEtherType >> 8;
  f[13] = geneve::kControlEtherType & 0xff;
  std::memcpy(f.data() + 14, geneve::kControlMagic.data(), 4);
  f[18] = geneve::kControlVersion;
  return f;
}

int run(const Options& o) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  Fd sfd(::signalfd(-1, &set, SFD_CLOEXEC));
  if (!sfd) throw_errno("signalfd");

  dataplane::KernelDataplane dp(o.cfg);
  std::printf("up %s ifindex %d external=%d source-port-method=%s\n", dp.ifname().c_str(), dp.ifindex(),
              dp.external() ? 1 : 0, std::string(dataplane::to_string(dp.source_port_method())).c_str());
  std::fflush(stdout);
  auto frame = control_frame();
  std::array<std::uint8_t, 2048> buf;
  std::uint64_t received = 0, sent = 0;
  auto next_send = std::chrono::steady_clock::now();
  for (;;) {
    pollfd fds[2] = {{sfd.get(), POLLIN, 0}, {dp.control().fd(), POLLIN, 0}};
    int n = ::poll(fds, 2, 200);
    if (n < 0 && errno != EINTR) throw_errno("poll");
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      if (::read(sfd.get(), &si, sizeof si) == sizeof si)
        log::info("{} received, removing the tunnel", strsignal(static_cast<int>(si.ssi_signo)));
      break;
    }
    if (fds[1].revents & POLLIN) {
      while (std::size_t len = dp.control().receive_frame(buf)) {
        auto c = geneve::parse_control({buf.data(), len});
        if (!c) continue;
        if (received++ == 0)
          log::info("control frame received on {}: version {}, type {}", dp.ifname(), c->version, c->type);
      }
    }
    if (o.send_control && std::chrono::steady_clock::now() >= next_send) {
      if (dp.control().send_frame(frame)) ++sent;
      next_send += std::chrono::milliseconds(200);
    }
  }
  auto s = dp.stats();
  std::printf("control sent %llu received %llu; link rx %llu tx %llu packets, rx_dropped %llu tx_dropped %llu\n",
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(received),
              static_cast<unsigned long long>(s.rx_packets), static_cast<unsigned long long>(s.tx_packets),
              static_cast<unsigned long long>(s.rx_dropped), static_cast<unsigned long long>(s.tx_dropped));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.empty()) throw UsageError("usage: kernel_tunnel up|probe|cleanup ...");
    std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "cleanup") {
      auto r = dataplane::remove_stale_objects();
      std::printf("removed %zu links, %zu nftables tables\n", r.links.size(), r.tables.size());
      return 0;
    }
    if (cmd == "probe") {
      auto why = dataplane::KernelDataplane::unsupported_reason(parse(args).cfg);
      std::printf("%s\n", why ? why->c_str() : "supported");
      return why ? 3 : 0;
    }
    if (cmd == "up") return run(parse(args));
    throw UsageError("unknown command " + cmd);
  } catch (const UsageError& e) {
    log::error("{}", e.what());
    return 2;
  } catch (const netlink::KernelUnsupported& e) {
    log::error("{}", e.what());
    return 3;
  } catch (const std::exception& e) {
    log::error("{}", e.what());
    return 1;
  }
}
