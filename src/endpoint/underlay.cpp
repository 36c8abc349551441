#include "endpoint/underlay.hpp"

#include <netdb.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "dataplane/udp.hpp"
#include "geneve/codec.hpp"
#include "net/mtu.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::endpoint {

bool path_is_host_name(const config::EndpointConfig& cfg) {
  return !cfg.path_text.empty() && !net::IpAddress::parse(cfg.path_text);
}

std::vector<net::IpAddress> resolve_path(const config::EndpointConfig& cfg) {
  net::IpAddress addr;
  if (!path_is_host_name(cfg)) {
    addr = cfg.path;
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(cfg.path_text.c_str(), nullptr, &hints, &res); rc != 0)
      throw UsageError("cannot resolve PATH " + cfg.path_text + ": " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
    std::optional<net::IpAddress> v4, v6;
    for (addrinfo* a = res; a; a = a->ai_next) {
      auto ep = net::Endpoint::from_sockaddr(a->ai_addr, a->ai_addrlen);
      if (!ep) continue;
      auto& slot = ep->address.is_v6() ? v6 : v4;
      if (!slot) slot = ep->address;
    }
    if (!v4 && !v6) throw UsageError("PATH " + cfg.path_text + " has no IPv4 or IPv6 address");
    addr = v6 ? *v6 : *v4;
  }
  if (!addr.is_v4() || cfg.nat64_prefixes.empty()) return {addr};
  std::vector<net::IpAddress> out;
  for (const auto& p : cfg.nat64_prefixes) out.push_back(p.embed(addr));
  return out;
}

std::vector<net::Endpoint> path_targets(const config::EndpointConfig& cfg) {
  std::vector<net::Endpoint> out;
  for (const auto& a : resolve_path(cfg)) out.push_back({a, cfg.port});
  return out;
}

net::IpAddress outer_source(const config::EndpointConfig& cfg, net::Family family) {
  if (family == net::Family::kV4) return net::IpAddress::v4({0, 0, 0, 0});
  return cfg.mode == config::Mode::kClient ? net::IpAddress{} : cfg.local;
}

std::size_t geneve_header_len(const config::EndpointConfig& cfg) {
  return geneve::kBaseHeaderLen + (cfg.route_option ? geneve::kRouteOptionLen : 0);
}

Underlay plan_underlay(const config::EndpointConfig& cfg) {
  Underlay u;
  u.path_is_host_name = path_is_host_name(cfg);
  if (cfg.mode == config::Mode::kServer) {
    // Clients call from anywhere: budget for LOCAL's own interface.
    u.underlay_mtu = dataplane::interface_mtu_of(cfg.local);
  } else {
    std::vector<std::pair<net::Endpoint, UsageError>> unrouted;
    for (const auto& target : path_targets(cfg)) {
      const net::IpAddress from = outer_source(cfg, target.address.family());
      try {
        const std::uint32_t mtu = dataplane::route_mtu({from, 0}, target);
        u.underlay_mtu = u.underlay_mtu ? std::min(u.underlay_mtu, mtu) : mtu;
        u.nat64_targets.push_back(target);
      } catch (const UsageError& e) {
        unrouted.emplace_back(target, e);
      }
    }
    if (u.nat64_targets.empty()) throw unrouted.front().second;
    // One NAT64 prefix not routed here must not stop the others.
    for (const auto& [target, e] : unrouted) log::warn("PATH {} left out: {}", target.to_string(), e.what());
  }
  if (cfg.mode == config::Mode::kAuto) {
    net::Endpoint direct{cfg.remote, cfg.port};
    try {
      u.underlay_mtu = std::min(u.underlay_mtu, dataplane::route_mtu({cfg.local, 0}, direct));
      u.direct_target = direct;
    } catch (const UsageError& e) {
      log::info("no direct IPv6 candidate: {}", e.what());
    }
  }
  const std::size_t header_len = geneve_header_len(cfg);
  const std::uint32_t fits = net::inner_mtu_for(u.underlay_mtu, header_len);
  u.mtu = cfg.mtu ? cfg.mtu : fits;
  if (u.mtu < net::kMinInnerMtu)
    throw UsageError(
        fmt::format("the underlay MTU {} leaves an inner MTU of {}, below IPv6's minimum {}; "
                    "raise the underlay MTU",
                    u.underlay_mtu, u.mtu, net::kMinInnerMtu));
  if (cfg.mtu && cfg.mtu > fits)
    log::warn("--mtu {} exceeds what the underlay MTU {} carries ({}): large frames will be dropped as too big",
              cfg.mtu, u.underlay_mtu, fits);
  return u;
}

}  // namespace gn::endpoint
