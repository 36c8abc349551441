#include "endpoint/endpoint.hpp"

#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "net/mtu.hpp"
#include "netlink/link.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::endpoint {
namespace {

std::string hex(unsigned value, int width) {
  return fmt::format("0x{:0{}x}", value, width);
}

}  // namespace

TunnelEndpoint::TunnelEndpoint(const config::EndpointConfig& cfg)
    : cfg_(cfg), started_(std::chrono::steady_clock::now()) {
  if (cfg_.dataplane == config::Dataplane::kKernel)
    throw UsageError("the kernel data plane is not available in this build; use --dataplane auto or userspace");
  dataplane_reason_ = cfg_.dataplane == config::Dataplane::kUserspace
                          ? "requested with --dataplane userspace"
                          : "kernel GENEVE data plane not implemented in this version";

  // The underlay: bind to LOCAL when the path is IPv6, to any IPv4 address
  // when the path is IPv4.
  net::Endpoint peer{cfg_.path, cfg_.port};
  net::IpAddress bind_addr = cfg_.path.is_v6() ? cfg_.local : net::IpAddress::v4({0, 0, 0, 0});
  underlay_mtu_ = dataplane::route_mtu({bind_addr, 0}, peer);

  std::optional<geneve::Nat64Route> route;
  if (cfg_.route_option) route = geneve::Nat64Route{cfg_.remote.bytes(), cfg_.port};
  dataplane::PeerConfig peer_cfg{cfg_.vni, peer, cfg_.path, cfg_.local, route, cfg_.option_id};
  std::size_t header_len = geneve::kBaseHeaderLen + (route ? geneve::kRouteOptionLen : 0);
  mtu_ = cfg_.mtu ? cfg_.mtu : net::inner_mtu_for(underlay_mtu_, header_len);
  if (mtu_ < net::kMinInnerMtu)
    throw UsageError(
        fmt::format("the underlay MTU {} to {} leaves an inner MTU of {}, below IPv6's minimum {}; "
                    "raise the underlay MTU",
                    underlay_mtu_, peer.to_string(), mtu_, net::kMinInnerMtu));
  if (cfg_.mtu && cfg_.mtu > net::inner_mtu_for(underlay_mtu_, header_len))
    log::warn("--mtu {} exceeds what the underlay MTU {} carries ({}): large frames will be dropped as too big",
              cfg_.mtu, underlay_mtu_, net::inner_mtu_for(underlay_mtu_, header_len));

  listen_.emplace(dataplane::UdpSocket::bind({bind_addr, cfg_.port}));
  if (cfg_.source_port != cfg_.port) sender_.emplace(dataplane::UdpSocket::bind({bind_addr, cfg_.source_port}));

  tap_.emplace(dataplane::TapDevice::create(cfg_.ifname));
  status_server_ = std::make_unique<control::StatusServer>(cfg_.run_dir, tap_->name());
  {
    netlink::RouteSocket nl;
    netlink::set_link_mtu_up(nl, tap_->ifindex(), tap_->name(), mtu_);
    for (const auto& a : cfg_.addresses) netlink::add_address(nl, tap_->ifindex(), tap_->name(), a);
  }

  std::vector<dataplane::UdpSocket*> sockets{&*listen_};
  if (sender_) sockets.push_back(&*sender_);
  dataplane_ = std::make_unique<dataplane::UserspaceDataplane>(*tap_, sockets, sender_ ? *sender_ : *listen_, peer_cfg);

  loop_.watch(tap_->fd(), "the TAP device", [this] { dataplane_->on_tap_readable(); });
  loop_.watch(listen_->fd(), "the UDP socket", [this] { dataplane_->on_udp_readable(*listen_); });
  if (sender_) loop_.watch(sender_->fd(), "the UDP send socket", [this] { dataplane_->on_udp_readable(*sender_); });
  loop_.watch(status_server_->fd(), "the status socket",
              [this] { status_server_->serve_one(status().dump(2) + "\n"); });

  if (!cfg_.route_option)
    log::info("{}: sending no NAT64 routing option (--no-route-option): the path must not need it", tap_->name());
  log::info(
      "{}: {} tunnel VNI {} up: {} -> {} (peer {}), source port {}, mtu {} (underlay {}), "
      "userspace data plane ({})",
      tap_->name(), cfg_.mode, cfg_.vni, listen_->local().to_string(), peer.to_string(), cfg_.remote.to_string(),
      cfg_.source_port, mtu_, underlay_mtu_, dataplane_reason_);
}

void TunnelEndpoint::run() {
  int signo = loop_.run();
  log::info("{}: {} received, removing the tunnel", tap_->name(), strsignal(signo));
}

nlohmann::json TunnelEndpoint::status() const {
  auto now = std::chrono::steady_clock::now();
  nlohmann::json peer = control::to_json(dataplane_->counters(), now);
  peer["remote"] = cfg_.remote.to_string();
  peer["path"] = dataplane_->peer().send_to.to_string();
  return {
      {"interface", tap_->name()},
      {"mode", cfg_.mode},
      {"vni", cfg_.vni},
      {"local", cfg_.local.to_string()},
      {"listen", listen_->local().to_string()},
      {"source_port", cfg_.source_port},
      {"mtu", mtu_},
      {"underlay_mtu", underlay_mtu_},
      {"dataplane", {{"kind", "userspace"}, {"reason", dataplane_reason_}}},
      {"route_option",
       {{"class", hex(cfg_.option_id.option_class, 4)},
        {"type", hex(cfg_.option_id.type, 2)},
        {"sent", cfg_.route_option}}},
      {"pid", ::getpid()},
      {"uptime_seconds", std::chrono::duration<double>(now - started_).count()},
      {"peers", nlohmann::json::array({peer})},
  };
}

}  // namespace gn::endpoint
