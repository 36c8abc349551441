#include "endpoint/endpoint.hpp"

#include <linux/netlink.h>
#include <net/if.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>

#include "net/mtu.hpp"
#include "netlink/link.hpp"
#include "netlink/mnl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::endpoint {

using Clock = std::chrono::steady_clock;
using control::Drop;

// One peer: its interface, where its data goes and what it is accepted
// from, its path state and its control-message state.
struct Peer {
  Peer(config::PeerSpec s, control::Mode mode, control::Timing timing)
      : spec(std::move(s)), paths(mode, timing, control::random_probe_id) {}

  const std::string& ifname() const { return kernel ? kernel->ifname() : tap->name(); }

  config::PeerSpec spec;
  std::optional<control::Key> key;
  // One of the two carries the peer's frames.
  std::optional<dataplane::TapDevice> tap;
  std::unique_ptr<dataplane::KernelDataplane> kernel;
  std::array<std::uint8_t, 6> mac{};
  dataplane::Tunnel tunnel;
  control::PathSelector paths;
  control::ReplayWindow replay;
  // What this peer holds in the lookup tables.
  std::vector<net::IpAddress> accepted_addresses;
  std::optional<net::Endpoint> accepted_endpoint;
  std::uint64_t applied_generation = ~std::uint64_t{0};
  Clock::time_point last_handshake{};  // last verified control message from the peer
  Clock::time_point last_resolve{};
  std::uint64_t probes_rx = 0, replies_rx = 0, probes_tx = 0, replies_tx = 0;
  std::optional<net::Endpoint> observed;  // how the peer last saw us
  // Data sent without anything coming back makes the path suspect.
  std::uint64_t tx_seen = 0;
  Clock::time_point last_tx_change{};
};

namespace {

std::string hex(unsigned value, int width) {
  return fmt::format("0x{:0{}x}", value, width);
}

// How long data may go unanswered before the chosen path is probed early.
constexpr std::chrono::milliseconds kSilence{1500};

double seconds_since(Clock::time_point t, Clock::time_point now) {
  return std::chrono::duration<double>(now - t).count();
}

nlohmann::json since_or_null(Clock::time_point t, Clock::time_point now) {
  if (t == Clock::time_point{}) return nullptr;
  return seconds_since(t, now);
}

}  // namespace

TunnelEndpoint::TunnelEndpoint(const config::EndpointConfig& cfg)
    : cfg_(cfg),
      path_is_host_name_(!cfg.path_text.empty() && !net::IpAddress::parse(cfg.path_text)),
      started_(Clock::now()) {
  if (cfg_.dataplane == config::Dataplane::kUserspace) {
    dataplane_reason_ = "requested with --dataplane userspace";
  } else if (auto why = kernel_unsuitable_reason(); !why.empty()) {
    if (cfg_.dataplane == config::Dataplane::kKernel) throw UsageError("--dataplane kernel: " + why);
    dataplane_reason_ = why;
  }
  auto specs = config::peers_of(cfg_);  // a server's --config also sets LOCAL
  const bool server = cfg_.mode == control::Mode::kServer;

  // Where the peer is: PATH (resolved now, and again when it dies), and in
  // auto mode REMOTE directly if there is a route to it.
  std::size_t header_len = geneve::kBaseHeaderLen + (cfg_.route_option ? geneve::kRouteOptionLen : 0);
  if (server) {
    // Clients call from anywhere: budget for LOCAL's own interface.
    underlay_mtu_ = dataplane::interface_mtu_of(cfg_.local);
  } else {
    nat64_target_ = net::Endpoint{resolve_path(), cfg_.port};
    net::IpAddress bind_addr = nat64_target_->address.is_v6()
                                   ? (cfg_.mode == control::Mode::kClient ? net::IpAddress{} : cfg_.local)
                                   : net::IpAddress::v4({0, 0, 0, 0});
    underlay_mtu_ = dataplane::route_mtu({bind_addr, 0}, *nat64_target_);
  }
  if (cfg_.mode == control::Mode::kAuto) {
    net::Endpoint direct{cfg_.remote, cfg_.port};
    try {
      underlay_mtu_ = std::min(underlay_mtu_, dataplane::route_mtu({cfg_.local, 0}, direct));
      direct_target_ = direct;
    } catch (const UsageError& e) {
      log::info("no direct IPv6 candidate: {}", e.what());
    }
  }
  mtu_ = cfg_.mtu ? cfg_.mtu : net::inner_mtu_for(underlay_mtu_, header_len);
  if (mtu_ < net::kMinInnerMtu)
    throw UsageError(
        fmt::format("the underlay MTU {} leaves an inner MTU of {}, below IPv6's minimum {}; "
                    "raise the underlay MTU",
                    underlay_mtu_, mtu_, net::kMinInnerMtu));
  if (cfg_.mtu && cfg_.mtu > net::inner_mtu_for(underlay_mtu_, header_len))
    log::warn("--mtu {} exceeds what the underlay MTU {} carries ({}): large frames will be dropped as too big",
              cfg_.mtu, underlay_mtu_, net::inner_mtu_for(underlay_mtu_, header_len));

  dataplane_ = std::make_unique<dataplane::UserspaceDataplane>(
      loop_, [this](const net::Endpoint& from) { return lookup(from); },
      [this](dataplane::Tunnel* t, std::uint32_t vni, std::span<const std::uint8_t> frame, const net::Endpoint& from,
             dataplane::UdpSocket&) { on_control(t, vni, frame, from); });

  for (auto& spec : specs) {
    if (!spec.key_file) spec.key_file = cfg_.key_file;
    add_peer(spec);
  }
  // Bind now, so a busy port is an error at start, not later. A peer on the
  // kernel data plane needs no socket: the GENEVE device has the port.
  bool userspace = std::any_of(peers_.begin(), peers_.end(), [](const auto& p) { return !p->kernel; });
  if (userspace && nat64_target_) socket_for(nat64_target_->address.family());
  if (userspace && (server || direct_target_)) socket_for(net::Family::kV6);
  name_ = cfg_.name.empty() ? peers_.front()->ifname() : cfg_.name;
  status_server_ = std::make_unique<control::StatusServer>(cfg_.run_dir, name_);
  loop_.watch(status_server_->fd(), "the status socket",
              [this] { status_server_->serve_one(status().dump(2) + "\n"); });
  loop_.set_timer([this] { return on_timer(); });
  dataplane_->start();  // every peer is added: the transmit worker may run

  std::size_t unkeyed = 0;
  for (const auto& p : peers_) unkeyed += p->key ? 0 : 1;
  if (unkeyed)
    log::warn(
        "{}: {} of {} peers have no key: their control messages are not authenticated, and anyone who can "
        "send this endpoint a packet can move their path (use --key-file; docs/protocol.md 6.3)",
        name_, unkeyed, peers_.size());
  if (!cfg_.route_option)
    log::info("{}: sending no NAT64 routing option (--no-route-option): the path must not need it", name_);
  for (const auto& p : peers_)
    log::info("{}: {} tunnel VNI {} to {} up: {} {}, source port {}, mtu {} (underlay {}), {} data plane ({})",
              p->ifname(), control::to_string(cfg_.mode), p->spec.vni, p->spec.remote.to_string(),
              nat64_target_ ? "PATH" : "learning the path from the client",
              nat64_target_ ? nat64_target_->to_string() : "", cfg_.source_port, mtu_, underlay_mtu_,
              p->kernel ? "kernel" : "userspace", dataplane_reason_);
}

TunnelEndpoint::~TunnelEndpoint() = default;

net::IpAddress TunnelEndpoint::resolve_path() const {
  net::IpAddress addr;
  if (!path_is_host_name_) {
    addr = cfg_.path;
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(cfg_.path_text.c_str(), nullptr, &hints, &res); rc != 0)
      throw UsageError("cannot resolve PATH " + cfg_.path_text + ": " + ::gai_strerror(rc));
    std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, ::freeaddrinfo);
    std::optional<net::IpAddress> v4, v6;
    for (addrinfo* a = res; a; a = a->ai_next) {
      auto ep = net::Endpoint::from_sockaddr(a->ai_addr, a->ai_addrlen);
      if (!ep) continue;
      auto& slot = ep->address.is_v6() ? v6 : v4;
      if (!slot) slot = ep->address;
    }
    if (!v4 && !v6) throw UsageError("PATH " + cfg_.path_text + " has no IPv4 or IPv6 address");
    addr = v6 ? *v6 : *v4;
  }
  if (addr.is_v4() && cfg_.nat64_prefix) addr = cfg_.nat64_prefix->embed(addr);
  return addr;
}

dataplane::UdpSocket& TunnelEndpoint::socket_for(net::Family family) {
  bool v6 = family == net::Family::kV6;
  auto& send = v6 ? send6_ : send4_;
  if (send) return *send;
  // A client's LOCAL is its identity, not necessarily an address it has.
  net::IpAddress addr =
      !v6 ? net::IpAddress::v4({0, 0, 0, 0}) : (cfg_.mode == control::Mode::kClient ? net::IpAddress{} : cfg_.local);
  send.emplace(dataplane::UdpSocket::bind({addr, cfg_.source_port}, cfg_.offloads));
  dataplane_->add_socket(*send, "the UDP socket");
  if (!send->offloads().reason.empty())
    log::info("UDP socket {}: {}", send->local().to_string(), send->offloads().reason);
  if (cfg_.source_port != cfg_.port) {
    auto& listen = v6 ? listen6_ : listen4_;
    listen.emplace(dataplane::UdpSocket::bind({addr, cfg_.port}, cfg_.offloads));
    dataplane_->add_socket(*listen, "the UDP listen socket");
  }
  return *send;
}

void TunnelEndpoint::add_peer(const config::PeerSpec& spec) {
  auto peer = std::make_unique<Peer>(spec, cfg_.mode, cfg_.timing);
  Peer* p = peer.get();
  if (!by_identity_.emplace(IdentityKey{spec.remote, spec.vni}, p).second)
    throw UsageError("two peers with REMOTE " + spec.remote.to_string() + " and VNI " + std::to_string(spec.vni));
  if (spec.key_file) p->key = control::read_key_file(*spec.key_file);
  if (dataplane_reason_.empty()) p->kernel = try_kernel(spec, *nat64_target_);
  if (p->kernel) {
    p->mac = {};  // control frames leave with the device's own MAC anyway
  } else {
    p->tap.emplace(dataplane::TapDevice::create(spec.ifname, dataplane::DeviceMode::kTap, cfg_.offloads));
    if (!p->tap->offloads().reason.empty()) log::info("{}: {}", p->tap->name(), p->tap->offloads().reason);
    p->mac = p->tap->hardware_address();
    netlink::MnlSocket nl(NETLINK_ROUTE);
    netlink::set_link_mtu_up(nl, p->tap->ifindex(), p->ifname(), mtu_);
    for (const auto& a : spec.addresses) netlink::add_address(nl, p->tap->ifindex(), p->ifname(), a);
  }
  p->tunnel.tap = p->tap ? &*p->tap : nullptr;
  p->tunnel.vni = spec.vni;
  p->tunnel.option_id = cfg_.option_id;
  p->tunnel.local_v6 = cfg_.local;
  p->tunnel.mtu = mtu_;
  p->tunnel.owner = p;
  if (direct_target_) p->paths.set_direct(*direct_target_);
  if (nat64_target_) p->paths.set_nat64(*nat64_target_, cfg_.route_option);
  p->last_resolve = Clock::now();
  peers_.push_back(std::move(peer));
  if (p->kernel)
    watch_kernel_control(*p);
  else
    dataplane_->add_tunnel(p->tunnel);
  apply_path(*p);
}

std::string TunnelEndpoint::kernel_unsuitable_reason() const {
  switch (cfg_.mode) {
    case control::Mode::kServer:
      return "a server learns its clients' paths from the outer source of their packets, which a kernel GENEVE "
             "device does not show";
    case control::Mode::kAuto:
      return "auto mode moves between paths as they live and die; the kernel data plane carries one fixed path";
    case control::Mode::kSymmetric:
    case control::Mode::kClient: break;
  }
  if (cfg_.source_port != cfg_.port)
    return "replies come back to the source port, and a kernel GENEVE device listens only on --port (--source-port "
           "differs)";
  return {};
}

std::unique_ptr<dataplane::KernelDataplane> TunnelEndpoint::try_kernel(const config::PeerSpec& spec,
                                                                       const net::Endpoint& peer) {
  try {
    auto stale = dataplane::remove_stale_objects();
    for (const auto& l : stale.links) log::info("removed interface {} left by a process that is gone", l);
    for (const auto& t : stale.tables) log::info("removed nftables table {} left by a process that is gone", t);
  } catch (const std::exception& e) {
    log::debug("looking for stale kernel objects: {}", e.what());
  }
  dataplane::KernelTunnelConfig k;
  k.ifname = spec.ifname;
  if (auto pos = k.ifname.find("%d"); pos != std::string::npos) {
    // The kernel names a GENEVE device only by an exact name: take the first free one.
    for (int n = 0;; ++n) {
      std::string name = k.ifname.substr(0, pos) + std::to_string(n) + k.ifname.substr(pos + 2);
      if (if_nametoindex(name.c_str()) == 0) {
        k.ifname = name;
        break;
      }
    }
  } else if (if_nametoindex(k.ifname.c_str()) != 0)
    throw UsageError("interface " + k.ifname + " already exists; choose another --ifname");
  k.vni = spec.vni;
  k.local = peer.address.is_v4() ? net::IpAddress::v4({0, 0, 0, 0})
                                 : (cfg_.mode == control::Mode::kClient ? net::IpAddress{} : cfg_.local);
  k.peer = peer;
  k.listen_port = cfg_.port;
  k.source_port = cfg_.source_port;
  if (cfg_.route_option) k.route = geneve::Nat64Route{spec.remote.bytes(), cfg_.port};
  k.option_id = cfg_.option_id;
  k.mtu = mtu_;
  k.addresses = spec.addresses;
  try {
    auto kernel = std::make_unique<dataplane::KernelDataplane>(k);
    dataplane_reason_ = fmt::format("the kernel carries this path (source port pinned by {})",
                                    dataplane::to_string(kernel->source_port_method()));
    return kernel;
  } catch (const netlink::KernelUnsupported& e) {
    if (cfg_.dataplane == config::Dataplane::kKernel) throw UsageError(std::string("--dataplane kernel: ") + e.what());
    dataplane_reason_ = std::string("the kernel cannot carry this path: ") + e.what();
    log::info("{}: using the userspace data plane: {}", k.ifname, dataplane_reason_);
    return nullptr;
  }
}

void TunnelEndpoint::watch_kernel_control(Peer& peer) {
  Peer* p = &peer;
  loop_.watch(p->kernel->control().fd(), "the control packet socket", [this, p] {
    // The device admits only the peer's packets, so a control frame here
    // came from PATH (its outer source is not visible through the device).
    std::array<std::uint8_t, 2048> buf;
    for (int i = 0; i < 64; ++i) {
      std::size_t n = p->kernel->control().receive_frame(buf);
      if (n == 0) break;
      p->tunnel.counters.last_rx = Clock::now();
      on_control(&p->tunnel, p->spec.vni, {buf.data(), n}, *nat64_target_);
    }
  });
}

dataplane::Tunnel* TunnelEndpoint::lookup(const net::Endpoint& from) {
  if (!by_endpoint_.empty())
    if (auto it = by_endpoint_.find(from); it != by_endpoint_.end()) return &it->second->tunnel;
  if (auto it = by_address_.find(from.address); it != by_address_.end()) return &it->second->tunnel;
  return nullptr;
}

void TunnelEndpoint::drop(Peer* peer, Drop d) {
  (peer ? peer->tunnel.counters : unattributed_control_).drop(d);
}

void TunnelEndpoint::on_control(dataplane::Tunnel* tunnel, std::uint32_t vni, std::span<const std::uint8_t> frame,
                                const net::Endpoint& from) {
  Peer* peer = tunnel ? static_cast<Peer*>(tunnel->owner) : nullptr;
  auto received = control::parse_frame(frame);
  if (!received) return drop(peer, Drop::kControlMalformed);
  const control::Message& m = received->message;
  // The peer is who the message says it is from, on the tunnel it came on.
  if (!peer) {
    auto it = by_identity_.find(IdentityKey{m.sender, vni});
    if (it == by_identity_.end()) return drop(nullptr, Drop::kControlUnknownPeer);
    peer = it->second;
  } else if (m.sender != peer->spec.remote || vni != peer->spec.vni) {
    return drop(peer, Drop::kControlUnknownPeer);
  }
  if (m.receiver != cfg_.local) return drop(peer, Drop::kControlUnknownPeer);
  switch (control::verify(*received, vni, peer->key ? &*peer->key : nullptr)) {
    case control::DecodeError::kOk: break;
    case control::DecodeError::kUnauthenticated: return drop(peer, Drop::kControlUnauthenticated);
    case control::DecodeError::kBadMac: return drop(peer, Drop::kControlBadMac);
    case control::DecodeError::kMalformed: return drop(peer, Drop::kControlMalformed);
  }
  // Without a key the counter is as forgeable as the rest: checking it
  // would only let a forger push the window past the real peer's counter
  // and lock the peer out.
  if (peer->key && !peer->replay.accept(m.counter)) return drop(peer, Drop::kControlReplay);

  auto now = Clock::now();
  if (m.type == control::MessageType::kProbe) {
    ++peer->probes_rx;
    peer->last_handshake = now;
    // Answer on the path it came by; with the routing option if our data
    // to that address carries it.
    control::Message reply{
        control::MessageType::kReply, cfg_.local, peer->spec.remote, 0, m.probe_id, control::PathKind::kLearned,
        peer->paths.chosen_kind(),    from};
    bool option = false;
    for (const control::Candidate* c : peer->paths.candidates()) {
      if (c->kind != control::PathKind::kLearned && c->target.address == from.address) {
        reply.sent_on = c->kind;
        option = c->route_option;
      }
    }
    if (send_message(*peer, reply, from, option)) ++peer->replies_tx;
    if (auto challenge = peer->paths.on_probe(from, m, now)) {
      log::info("{}: {} probe from {} at a new source {}: challenging it before moving the path", peer->ifname(),
                peer->key ? "authenticated" : "unauthenticated (no key)", peer->spec.name, from.to_string());
      send_probe(*peer, *challenge);
    }
  } else {
    if (!peer->paths.on_reply(from, m, now)) return drop(peer, Drop::kControlStale);
    ++peer->replies_rx;
    peer->last_handshake = now;
    if (m.observed && m.observed != peer->observed) {
      log::info("{}: {} sees our packets coming from {}", peer->ifname(), peer->spec.name, m.observed->to_string());
      peer->observed = m.observed;
    }
  }
  apply_path(*peer);
  next_timer_ = std::min(next_timer_, peer->paths.next_deadline());
}

bool TunnelEndpoint::send_message(Peer& peer, control::Message m, const net::Endpoint& to, bool route_option) {
  m.counter = counter_.next();
  auto frame = control::build_frame(m, peer.spec.vni, peer.mac, peer.key ? &*peer.key : nullptr);
  if (peer.kernel) {
    // The kernel encapsulates it exactly as data (docs/kernel.md).
    if (peer.kernel->control().send_frame(frame)) return true;
    log::warn("{}: a control frame was dropped: the device's queue has no room", peer.ifname());
    drop(&peer, Drop::kSendError);
    return false;
  }
  geneve::HeaderBuilder header(peer.spec.vni);
  if (route_option) header.add_route(cfg_.option_id, geneve::Nat64Route{peer.spec.remote.bytes(), cfg_.port});
  try {
    if (dataplane_->send_control(socket_for(to.address.family()), to, header.bytes(), frame)) return true;
  } catch (const std::exception& e) {
    log::warn("{}: cannot send a control message to {}: {}", peer.ifname(), to.to_string(), e.what());
  }
  drop(&peer, Drop::kSendError);
  return false;
}

void TunnelEndpoint::send_probe(Peer& peer, const control::ProbeOut& p) {
  control::Message m{control::MessageType::kProbe, cfg_.local,  peer.spec.remote, 0, p.probe_id, p.kind,
                     peer.paths.chosen_kind(),     std::nullopt};
  if (send_message(peer, m, p.target, p.route_option)) ++peer.probes_tx;
}

void TunnelEndpoint::apply_path(Peer& peer) {
  if (peer.paths.generation() == peer.applied_generation) return;
  peer.applied_generation = peer.paths.generation();
  // What data is accepted from (docs/protocol.md 6.6).
  for (const auto& a : peer.accepted_addresses)
    if (auto it = by_address_.find(a); it != by_address_.end() && it->second == &peer) by_address_.erase(it);
  if (peer.accepted_endpoint)
    if (auto it = by_endpoint_.find(*peer.accepted_endpoint); it != by_endpoint_.end() && it->second == &peer)
      by_endpoint_.erase(it);
  peer.accepted_addresses.clear();
  peer.accepted_endpoint.reset();
  for (const control::Candidate* c : peer.paths.candidates()) {
    if (c->kind == control::PathKind::kDirect || c->kind == control::PathKind::kNat64) {
      auto [it, added] = by_address_.emplace(c->target.address, &peer);
      if (added) peer.accepted_addresses.push_back(c->target.address);
    }
  }
  if (auto learned = peer.paths.learned_source()) {
    by_endpoint_[*learned] = &peer;
    peer.accepted_endpoint = learned;
  }
  // Where data goes.
  const control::Candidate* c = peer.paths.chosen();
  std::string label = peer.paths.label();
  if (peer.kernel) {
    // The device's remote (or tc tunnel key) is the path; nothing to retarget.
  } else if (!c) {
    peer.tunnel.clear_target();
  } else {
    try {
      std::optional<geneve::Nat64Route> route;
      if (c->route_option) route = geneve::Nat64Route{peer.spec.remote.bytes(), cfg_.port};
      peer.tunnel.set_target(socket_for(c->target.address.family()), c->target, route);
    } catch (const std::exception& e) {
      log::error("{}: cannot send to {}: {}", peer.ifname(), c->target.to_string(), e.what());
      peer.tunnel.clear_target();
    }
  }
  log::info("{}: path to {} is {}{} ({})", peer.ifname(), peer.spec.name, label,
            c ? " via " + c->target.to_string() : std::string(), peer.paths.reason());
}

void TunnelEndpoint::maybe_reresolve(Peer& peer) {
  if (!path_is_host_name_) return;
  for (const control::Candidate* c : peer.paths.candidates()) {
    if (c->kind != control::PathKind::kNat64 || c->misses < cfg_.timing.dead_after) continue;
    auto now = Clock::now();
    if (now - peer.last_resolve < cfg_.timing.keepalive) return;
    peer.last_resolve = now;
    try {
      net::Endpoint fresh{resolve_path(), cfg_.port};
      if (fresh != c->target) {
        log::info("{}: PATH {} now resolves to {} (was {})", peer.ifname(), cfg_.path_text, fresh.address.to_string(),
                  c->target.address.to_string());
        nat64_target_ = fresh;
        peer.paths.set_nat64(fresh, cfg_.route_option);
        if (peer.kernel) {
          // The device's remote is the path: rebuild it for the new one.
          loop_.unwatch(peer.kernel->control().fd());
          peer.kernel.reset();
          peer.kernel = try_kernel(peer.spec, fresh);
          if (!peer.kernel) throw std::runtime_error("the kernel data plane cannot be rebuilt: " + dataplane_reason_);
          watch_kernel_control(peer);
        }
      }
    } catch (const std::exception& e) {
      log::warn("{}: PATH {} is dead and resolving it again failed: {}", peer.ifname(), cfg_.path_text, e.what());
    }
    return;
  }
}

Clock::time_point TunnelEndpoint::on_timer() {
  auto now = Clock::now();
  if (now < next_timer_) return next_timer_;
  auto next = Clock::time_point::max();
  for (auto& p : peers_) {
    check_silence(*p, now);
    for (const auto& probe : p->paths.poll(now)) send_probe(*p, probe);
    maybe_reresolve(*p);
    apply_path(*p);
    next = std::min(next, p->paths.next_deadline());
    // While data flows, look again soon for silence from the peer.
    if (now - p->last_tx_change < kSilence) next = std::min(next, now + kSilence / 2);
  }
  next_timer_ = next;
  return next;
}

void TunnelEndpoint::check_silence(Peer& p, Clock::time_point now) {
  if (p.kernel) return;  // the kernel's counters are not watched per tick
  const auto& c = p.tunnel.counters;
  const std::uint64_t tx = p.tunnel.tx.packets.load(std::memory_order_relaxed);
  if (tx != p.tx_seen) {
    p.tx_seen = tx;
    p.last_tx_change = now;
  }
  // Sent within the last interval, heard nothing for longer: the path may
  // have died under us (as WireGuard treats data without a reply).
  if (now - p.last_tx_change < kSilence && now - c.last_rx > kSilence) p.paths.suspect(now);
}

void TunnelEndpoint::run() {
  int signo = loop_.run();
  log::info("{}: {} received, removing the tunnel", name_, strsignal(signo));
}

// Which offloads the userspace data plane uses and why any is off
// (docs/operations.md, "Reading the offload status").
nlohmann::json TunnelEndpoint::offload_status() const {
  nlohmann::json j = {{"requested", cfg_.offloads}};
  const dataplane::TapDevice* tap = nullptr;
  for (const auto& p : peers_)
    if (p->tap) tap = &*p->tap;
  if (tap) {
    const auto& o = tap->offloads();
    j["tap"] = {{"vnet_header", o.vnet_header},
                {"checksum", o.checksum},
                {"tso", o.tso},
                {"uso", o.uso},
                {"reason", o.vnet_header ? o.reason : std::string("off (--no-offload)")}};
  }
  nlohmann::json sockets = nlohmann::json::array();
  for (const auto* s : {&send4_, &send6_, &listen4_, &listen6_}) {
    if (!*s) continue;
    const auto& o = (*s)->offloads();
    const bool refused = dataplane_->gso_refused(**s);
    std::string reason = o.reason;
    if (refused)
      reason =
          "the kernel refused a segmented send (EIO: the route's device does not checksum); sending datagram by "
          "datagram";
    else if (!cfg_.offloads && reason.empty())
      reason = "off (--no-offload)";
    sockets.push_back({{"local", (*s)->local().to_string()},
                       {"gso", o.gso && !refused},
                       {"gro", o.gro},
                       {"sndbuf", o.sndbuf},
                       {"rcvbuf", o.rcvbuf},
                       {"reason", reason}});
  }
  j["sockets"] = sockets;
  const auto st = dataplane_->stats();
  j["stats"] = {{"tx_blocked", st.tx_blocked},
                {"gso_sends", st.gso_sends},
                {"gro_receives", st.gro_receives},
                {"coalesced_writes", st.coalesced_writes},
                {"control_queued", st.control_queued}};
  return j;
}

nlohmann::json TunnelEndpoint::status() const {
  auto now = Clock::now();
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& p : peers_) {
    nlohmann::json j = control::to_json(p->tunnel.merged_counters(), now);
    if (p->kernel) {
      // The kernel moves the frames: its interface counters are the truth.
      auto st = p->kernel->stats();
      j["rx_packets"] = st.rx_packets;
      j["rx_bytes"] = st.rx_bytes;
      j["tx_packets"] = st.tx_packets;
      j["tx_bytes"] = st.tx_bytes;
      j["kernel_drops"] = {{"rx_dropped", st.rx_dropped},
                           {"tx_dropped", st.tx_dropped},
                           {"rx_errors", st.rx_errors},
                           {"tx_errors", st.tx_errors}};
    }
    nlohmann::json candidates = nlohmann::json::array();
    for (const control::Candidate* c : p->paths.candidates()) {
      candidates.push_back({
          {"kind", control::to_string(c->kind)},
          {"target", c->target.to_string()},
          {"route_option", c->route_option},
          {"alive", c->alive(cfg_.timing.dead_after)},
          {"answered", c->answered},
          {"missed", c->misses},
          {"rtt_ms", c->answered ? nlohmann::json(std::chrono::duration<double, std::milli>(c->rtt).count())
                                 : nlohmann::json(nullptr)},
          {"last_reply_seconds_ago", since_or_null(c->last_reply, now)},
          {"observed", c->observed ? nlohmann::json(c->observed->to_string()) : nlohmann::json(nullptr)},
          {"probes_sent", c->probes_sent},
          {"replies", c->replies},
      });
    }
    const control::Candidate* chosen = p->paths.chosen();
    j["name"] = p->spec.name;
    j["interface"] = p->ifname();
    j["remote"] = p->spec.remote.to_string();
    j["vni"] = p->spec.vni;
    j["mode"] = p->paths.label();
    j["path"] = {
        {"kind", control::to_string(p->paths.chosen_kind())},
        {"target", chosen ? nlohmann::json(chosen->target.to_string()) : nlohmann::json(nullptr)},
        {"alive", chosen ? chosen->alive(cfg_.timing.dead_after) : false},
        {"reason", p->paths.reason()},
    };
    j["peer_uses"] = control::to_string(p->paths.peer_in_use());
    j["candidates"] = candidates;
    j["observed"] = p->observed ? nlohmann::json(p->observed->to_string()) : nlohmann::json(nullptr);
    j["authenticated"] = p->key.has_value();
    j["last_handshake_seconds_ago"] = since_or_null(p->last_handshake, now);
    j["control"] = {{"probes_sent", p->probes_tx},
                    {"probes_received", p->probes_rx},
                    {"replies_sent", p->replies_tx},
                    {"replies_received", p->replies_rx},
                    {"challenges_rate_limited", p->paths.challenges_limited()}};
    j["dataplane"] = p->kernel ? "kernel" : "userspace";
    peers.push_back(std::move(j));
  }
  nlohmann::json unattributed = control::to_json(dataplane_->unattributed(), now)["drops"];
  for (std::size_t i = 0; i < unattributed_control_.drops.size(); ++i)
    if (unattributed_control_.drops[i])
      unattributed[std::string(control::to_string(static_cast<Drop>(i)))] = unattributed_control_.drops[i];
  return {
      {"name", name_},
      {"interface", peers_.size() == 1 ? nlohmann::json(peers_.front()->ifname()) : nlohmann::json(nullptr)},
      {"mode", control::to_string(cfg_.mode)},
      {"vni", peers_.size() == 1 ? nlohmann::json(peers_.front()->spec.vni) : nlohmann::json(nullptr)},
      {"local", cfg_.local.to_string()},
      {"listen_port", cfg_.port},
      {"source_port", cfg_.source_port},
      {"mtu", mtu_},
      {"underlay_mtu", underlay_mtu_},
      {"keepalive_seconds", std::chrono::duration<double>(cfg_.timing.keepalive).count()},
      {"dead_after", cfg_.timing.dead_after},
      {"dataplane",
       {{"kind", !peers_.empty() && peers_.front()->kernel ? "kernel" : "userspace"},
        {"reason", dataplane_reason_},
        {"offloads", offload_status()}}},
      {"route_option",
       {{"class", hex(cfg_.option_id.option_class, 4)},
        {"type", hex(cfg_.option_id.type, 2)},
        {"sent", cfg_.route_option}}},
      {"unattributed_drops", unattributed},
      {"pid", ::getpid()},
      {"uptime_seconds", seconds_since(started_, now)},
      {"peers", peers},
  };
}

}  // namespace gn::endpoint
