#include "endpoint/endpoint.hpp"

#include <cerrno>
#include <cstring>

#include <map>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "control/path_kind.hpp"
#include "net/nat64_discovery.hpp"
#include "netlink/mnl.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::endpoint {
namespace {

using Clock = std::chrono::steady_clock;

// How long data may go unanswered before the chosen path is probed early.
constexpr std::chrono::milliseconds kSilence{1500};

}  // namespace

TunnelEndpoint::TunnelEndpoint(config::EndpointConfig cfg) : cfg_(std::move(cfg)), started_(Clock::now()) {
  auto specs = config::peers_of(cfg_);  // a server's --config also sets LOCAL and "interface"
  if (cfg_.discover_nat64_prefixes) discover_prefixes();
  if (cfg_.dataplane == config::Dataplane::kUserspace) {
    dataplane_reason_ = "requested with --dataplane userspace";
  } else if (auto why = kernel_unsuitable_reason(cfg_); !why.empty()) {
    if (cfg_.dataplane == config::Dataplane::kKernel) throw UsageError("--dataplane kernel: " + why);
    dataplane_reason_ = why;
  }
  underlay_ = plan_underlay(cfg_);
  if (underlay_.nat64_targets.size() > 1 && cfg_.mode != control::Mode::kAuto && dataplane_reason_.empty()) {
    // The kernel device of these modes has one remote, and control comes
    // through it: the other PATHs could not be probed.
    const std::string why = fmt::format(
        "{} PATHs (one per NAT64 prefix) are probed and chosen among in userspace; a kernel device has one remote",
        underlay_.nat64_targets.size());
    if (cfg_.dataplane == config::Dataplane::kKernel) throw UsageError("--dataplane kernel: " + why);
    dataplane_reason_ = why;
  }

  dataplane_ =
      std::make_unique<dataplane::UserspaceDataplane>(loop_, static_cast<dataplane::UserspaceDataplane::Owner&>(*this));
  sockets_.emplace(*dataplane_, outer_source(cfg_, net::Family::kV6), cfg_.source_port, cfg_.port, cfg_.offloads,
                   specs.size());
  if (dataplane_reason_.empty()) remove_stale_kernel_objects();
  if (const auto& si = cfg_.shared_interface) {
    if (dataplane_reason_.empty()) kernel_server_ = try_kernel_server(si->ifname, si->addresses, specs.size(), false);
    if (!kernel_server_) shared_tap_.emplace(make_tap(si->ifname, underlay_.mtu, si->addresses, cfg_.offloads));
    log::info("{}: one interface for {} clients", shared_ifname(), specs.size());
  } else if (cfg_.mode == control::Mode::kAuto && dataplane_reason_.empty()) {
    // Auto mode's one peer on the same device: its candidates are learned
    // and chosen in userspace, and each choice is one filter replacement.
    kernel_server_ = try_kernel_server(specs.front().ifname, specs.front().addresses, 1, true);
  }
  // Clients sharing a key file share one read of it.
  std::map<std::string, control::Key> keys;
  for (auto& spec : specs) {
    if (!spec.key_file) spec.key_file = cfg_.key_file;
    std::optional<control::Key> key;
    if (spec.key_file) {
      auto it = keys.find(*spec.key_file);
      if (it == keys.end()) it = keys.emplace(*spec.key_file, control::read_key_file(*spec.key_file)).first;
      key = it->second;
    }
    add_peer(spec, key);
  }
  if (shared_tap_) dataplane_->add_shared_interface(*shared_tap_, allowed_ips_);
  // Bind now, so a busy port is an error at start, not later. A peer on the
  // kernel data plane needs no socket: the GENEVE device has the port.
  const bool userspace =
      std::any_of(peers_.begin(), peers_.end(), [](const auto& p) { return !p->device.is_kernel(); });
  for (const auto& target : underlay_.nat64_targets)
    if (userspace) sockets_->for_family(target.address.family());
  if (userspace && (cfg_.mode == control::Mode::kServer || underlay_.direct_target))
    sockets_->for_family(net::Family::kV6);
  name_ = cfg_.name.empty() ? peers_.front()->ifname() : cfg_.name;
  status_server_ =
      std::make_unique<control::StatusServer>(loop_, cfg_.run_dir, name_, [this] { return status_pieces(); });
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
  std::string path;
  for (const auto& t : underlay_.nat64_targets) path += (path.empty() ? "" : ", ") + t.to_string();
  // One line per tunnel, except for the clients of a shared interface,
  // which are one tunnel each but would be thousands of lines alike.
  for (const auto& p : peers_) {
    if (cfg_.shared_interface) continue;
    log::info("{}: {} tunnel VNI {} to {} up: {} {}, source port {}, mtu {} (underlay {}), {} data plane ({})",
              p->ifname(), control::to_string(cfg_.mode), p->spec.vni, p->spec.remote.to_string(),
              path.empty() ? "learning the path from the client" : "PATH", path, cfg_.source_port, underlay_.mtu,
              underlay_.underlay_mtu, p->device.is_kernel() ? "kernel" : "userspace", dataplane_reason_);
  }
  if (cfg_.shared_interface)
    log::info(
        "{}: {} tunnel for {} clients up: learning each path from its client, source port {}, mtu {} "
        "(underlay {}), {} data plane ({})",
        shared_ifname(), control::to_string(cfg_.mode), peers_.size(), cfg_.source_port, underlay_.mtu,
        underlay_.underlay_mtu, kernel_server_ ? "kernel" : "userspace", dataplane_reason_);
}

TunnelEndpoint::~TunnelEndpoint() = default;

std::unique_ptr<dataplane::KernelDataplane> TunnelEndpoint::try_kernel(const config::PeerSpec& spec,
                                                                       const net::Endpoint& peer) {
  dataplane::KernelTunnelConfig k;
  k.ifname = spec.ifname;
  k.vni = spec.vni;
  k.local = outer_source(cfg_, peer.address.family());
  k.peer = peer;
  k.listen_port = cfg_.port;
  k.source_port = cfg_.source_port;
  if (cfg_.route_option) k.route = geneve::Nat64Route{spec.remote.bytes(), cfg_.port};
  k.option_id = cfg_.option_id;
  k.mtu = underlay_.mtu;
  k.addresses = spec.addresses;
  try {
    auto kernel = make_kernel_device(k);
    dataplane_reason_ = fmt::format("the kernel carries this path (source port pinned by {})",
                                    dataplane::to_string(kernel->source_port_method()));
    return kernel;
  } catch (const netlink::KernelUnsupported& e) {
    if (cfg_.dataplane == config::Dataplane::kKernel) throw UsageError(std::string("--dataplane kernel: ") + e.what());
    dataplane_reason_ = std::string("the kernel cannot carry this path: ") + e.what();
    log::info("{}: using the userspace data plane: {}", spec.ifname, dataplane_reason_);
    return nullptr;
  }
}

std::unique_ptr<dataplane::KernelServer> TunnelEndpoint::try_kernel_server(const std::string& ifname,
                                                                           const std::vector<std::string>& addresses,
                                                                           std::size_t clients, bool point_to_point) {
  dataplane::KernelServerConfig k;
  k.port = cfg_.port;
  k.local = cfg_.local;
  k.option_id = cfg_.option_id;
  k.mtu = underlay_.mtu;
  k.addresses = addresses;
  k.clients = clients;
  k.point_to_point = point_to_point;
  std::optional<std::string> why;
  if (!underlay_.nat64_targets.empty() && underlay_.nat64_targets.front().address.is_v4())
    why = "PATH " + underlay_.nat64_targets.front().to_string() +
          " is IPv4, and the kernel data plane of this mode sends from LOCAL, an IPv6 address";
  else
    why = dataplane::KernelServer::unsupported_reason(k);
  std::unique_ptr<dataplane::KernelServer> server;
  if (!why) {
    try {
      server = with_free_name(ifname, [&](const std::string& name) {
        k.ifname = name;
        return std::make_unique<dataplane::KernelServer>(k);
      });
    } catch (const netlink::KernelUnsupported& e) {
      why = e.what();
    }
  }
  if (!server) {
    if (cfg_.dataplane == config::Dataplane::kKernel) throw UsageError("--dataplane kernel: " + *why);
    dataplane_reason_ = "the kernel cannot carry this tunnel: " + *why;
    log::info("{}: using the userspace data plane: {}", ifname, dataplane_reason_);
    return nullptr;
  }
  dataplane_reason_ = fmt::format("the kernel carries {} (source port pinned by {})",
                                  point_to_point ? "every candidate path" : "every client",
                                  dataplane::to_string(server->source_port_method()));
  watch_kernel_server(*server);
  return server;
}

void TunnelEndpoint::watch_kernel_server(dataplane::KernelServer& server) {
  loop_.watch(server.control_fd(), "the NFLOG control channel", [this, &server] {
    // Copies of control messages, with their outer source: who sent a probe
    // is told by the message (identity and MAC), as on the userspace plane.
    for (int i = 0; i < 64; ++i) {
      bool more = false;
      try {
        more = server.receive_control(
            [this](const net::Endpoint& from, std::uint32_t vni, std::span<const std::uint8_t> frame) {
              handle_control(nullptr, vni, frame, from);
            });
      } catch (const std::exception& e) {
        log::warn("{}: reading control messages: {}", server.ifname(), e.what());
        break;
      }
      if (!more) break;
    }
  });
}

const std::string& TunnelEndpoint::shared_ifname() const {
  return kernel_server_ ? kernel_server_->ifname() : shared_tap_->name();
}

PeerDevice TunnelEndpoint::make_device(const config::PeerSpec& spec) {
  if (kernel_server_) {
    const auto index = static_cast<std::uint32_t>(peers_.size() + 1);
    kernel_server_->add_client(index, {spec.vni, spec.allowed_ips});
    return PeerDevice(kernel_server_.get(), index);
  }
  if (shared_tap_) return PeerDevice(&*shared_tap_);
  if (dataplane_reason_.empty())
    if (auto kernel = try_kernel(spec, underlay_.nat64_targets.front())) return PeerDevice(std::move(kernel));
  return PeerDevice(make_tap(spec.ifname, underlay_.mtu, spec.addresses, cfg_.offloads));
}

void TunnelEndpoint::add_peer(const config::PeerSpec& spec, const std::optional<control::Key>& key) {
  if (table_.by_identity(spec.remote, spec.vni))
    throw UsageError("two peers with REMOTE " + spec.remote.to_string() + " and VNI " + std::to_string(spec.vni));
  auto peer = std::make_unique<Peer>(spec, make_device(spec), cfg_.mode, cfg_.timing);
  Peer* p = peer.get();
  p->dataplane_reason = dataplane_reason_;
  p->key = key;
  table_.add(*p);
  if (auto* tap = p->device.tap()) p->mac = tap->hardware_address();
  if (auto* server = p->device.kernel_server()) p->mac = server->hardware_address();
  p->tunnel.tap = p->device.tap();
  p->tunnel.vni = spec.vni;
  p->tunnel.option_id = cfg_.option_id;
  p->tunnel.local_v6 = cfg_.local;
  p->tunnel.mtu = underlay_.mtu;
  p->tunnel.owner = p;
  if (p->device.is_shared()) {
    p->tunnel.allowed = &allowed_ips_;
    for (const auto& prefix : p->spec.allowed_ips)
      if (!allowed_ips_.add(prefix, &p->tunnel))
        throw UsageError("allowed_ips " + prefix.to_string() + " of " + p->spec.name + " belongs to another client");
  }
  if (underlay_.direct_target) p->paths.set_direct(*underlay_.direct_target);
  if (!underlay_.nat64_targets.empty()) p->paths.set_nat64(underlay_.nat64_targets, cfg_.route_option);
  p->last_resolve = Clock::now();
  // Due at the first tick; from then on looked at only when its own
  // deadline comes.
  deadlines_.set(p, p->last_resolve);
  peers_.push_back(std::move(peer));
  if (p->device.kernel())
    watch_kernel_control(*p);
  else if (!p->device.is_shared())
    dataplane_->add_tunnel(p->tunnel);
  apply_path(*p);
}

void TunnelEndpoint::watch_kernel_control(Peer& peer) {
  Peer* p = &peer;
  loop_.watch(p->device.kernel()->control().fd(), "the control packet socket", [this, p] {
    // The device admits only the peer's packets, so a control frame here
    // came from PATH (its outer source is not visible through the device).
    std::array<std::uint8_t, 2048> buf;
    for (int i = 0; i < 64; ++i) {
      std::size_t n = 0;
      try {
        n = p->device.kernel()->control().receive_frame(buf);
      } catch (const std::exception& e) {
        // A socket error is reported once (and cleared by the read): say it
        // and go on; the probes notice if the path is really gone.
        log::warn("{}: {}", p->ifname(), e.what());
        break;
      }
      if (n == 0) break;
      p->tunnel.counters.last_rx = Clock::now();
      handle_control(p, p->spec.vni, {buf.data(), n}, underlay_.nat64_targets.front());
    }
  });
}

dataplane::Tunnel* TunnelEndpoint::accepting(const net::Endpoint& from) {
  Peer* p = table_.accepting(from);
  return p ? &p->tunnel : nullptr;
}

void TunnelEndpoint::on_control(dataplane::Tunnel* tunnel, std::uint32_t vni, std::span<const std::uint8_t> frame,
                                const net::Endpoint& from, dataplane::UdpSocket&) {
  handle_control(tunnel ? static_cast<Peer*>(tunnel->owner) : nullptr, vni, frame, from);
}

void TunnelEndpoint::drop(Peer* peer, dataplane::Drop d) {
  (peer ? peer->tunnel.counters : unattributed_control_).drop(d);
}

void TunnelEndpoint::apply_path(Peer& peer) {
  if (peer.paths.generation() == peer.applied_generation) return;
  peer.applied_generation = peer.paths.generation();
  table_.accept_from_paths(peer);
  // Where data goes.
  const control::Candidate* c = peer.paths.chosen();
  if (auto* server = peer.device.kernel_server()) {
    program_kernel_server(*server, peer, c);
  } else if (peer.device.is_kernel()) {
    // The device's remote (or tc tunnel key) is the path; nothing to retarget.
  } else if (!c) {
    peer.tunnel.clear_target();
  } else {
    try {
      std::optional<geneve::Nat64Route> route;
      if (c->route_option) route = geneve::Nat64Route{peer.spec.remote.bytes(), cfg_.port};
      peer.tunnel.set_target(sockets_->for_family(c->target.address.family()), c->target, route);
    } catch (const std::exception& e) {
      log::error("{}: cannot send to {}: {}", peer.ifname(), c->target.to_string(), e.what());
      peer.tunnel.clear_target();
    }
  }
  // A server has nothing to say about a client it has not heard from yet:
  // thousands of such lines at start would bury the ones that matter.
  if (!c && peer.paths.candidates().empty()) return;
  log::info("{}: path to {} is {}{} ({})", peer.ifname(), peer.spec.name, peer.paths.label(),
            c ? fmt::format(" via {} {}", control::path_kind(*c, {peer.spec.remote, cfg_.nat64_prefixes}),
                            c->target.to_string())
              : std::string(),
            peer.paths.reason());
}

void TunnelEndpoint::program_kernel_server(dataplane::KernelServer& server, const Peer& peer,
                                           const control::Candidate* c) {
  // What the userspace plane's PeerTable and Tunnel hold, in the kernel. A
  // failed request leaves the previous state there; the next verified
  // message tries again.
  const std::uint32_t index = peer.device.kernel_index();
  try {
    server.admit(index, peer.accepted_addresses, peer.accepted_endpoint);
    std::optional<dataplane::KernelTarget> target;
    if (c) {
      target = dataplane::KernelTarget{c->target, std::nullopt};
      if (c->route_option)
        target->option = dataplane::route_option_bytes(peer.spec.vni, cfg_.option_id,
                                                       geneve::Nat64Route{peer.spec.remote.bytes(), cfg_.port});
    }
    server.set_target(index, target);
  } catch (const std::exception& e) {
    log::error("{}: the kernel cannot carry {} on {}: {}", peer.ifname(), peer.spec.name,
               c ? c->target.to_string() : std::string("no path"), e.what());
  }
}

void TunnelEndpoint::discover_prefixes() {
  cfg_.nat64_prefixes = net::discover_nat64_prefixes();
  log::info("NAT64 prefixes from the DNS64 (RFC 7050, {}): {}", net::kIpv4OnlyArpa,
            net::to_string(cfg_.nat64_prefixes));
}

void TunnelEndpoint::maybe_reresolve(Peer& peer) {
  // PATH may move when it is a host name, and the NAT64s when their
  // prefixes came from the DNS64: look again once every PATH is dead.
  if (!underlay_.path_is_host_name && !cfg_.discover_nat64_prefixes) return;
  bool any = false;
  for (const control::Candidate* c : peer.paths.candidates()) {
    if (c->kind != control::PathKind::kNat64) continue;
    if (c->misses < cfg_.timing.dead_after) return;
    any = true;
  }
  if (!any) return;
  const auto now = Clock::now();
  if (now - peer.last_resolve < cfg_.timing.keepalive) return;
  peer.last_resolve = now;
  std::vector<net::Endpoint> fresh;
  try {
    if (cfg_.discover_nat64_prefixes) discover_prefixes();
    fresh = path_targets(cfg_);
  } catch (const std::exception& e) {
    log::warn("{}: every PATH is dead and looking again failed: {}", peer.ifname(), e.what());
    return;
  }
  // The kernel device has one remote: it follows the first.
  if (peer.device.kernel()) fresh.resize(1);
  if (fresh == underlay_.nat64_targets) return;
  const auto addresses = [](const std::vector<net::Endpoint>& targets) {
    std::string out;
    for (const auto& t : targets) out += (out.empty() ? "" : ", ") + t.address.to_string();
    return out;
  };
  log::info("{}: PATH {} now resolves to {} (was {})", peer.ifname(), cfg_.path_text, addresses(fresh),
            addresses(underlay_.nat64_targets));
  underlay_.nat64_targets = fresh;
  if (!peer.device.kernel())
    for (const auto& t : fresh) sockets_->for_family(t.address.family());
  peer.paths.set_nat64(fresh, cfg_.route_option);
  if (peer.device.kernel()) retarget_kernel_device(peer, fresh.front());
}

void TunnelEndpoint::retarget_kernel_device(Peer& peer, const net::Endpoint& path) {
  // The device's tc tunnel key is the path: move it to the new one. The
  // data plane of a running tunnel does not change kind: if the kernel
  // cannot carry the new path, the endpoint stops (removing everything) and
  // says why; started again, it picks the data plane that can.
  try {
    peer.device.kernel()->retarget(outer_source(cfg_, path.address.family()), path);
  } catch (const std::exception& e) {
    throw std::runtime_error(
        fmt::format("{}: the kernel data plane cannot move to PATH {} ({}); stopping: start again "
                    "to use the data plane that can carry it",
                    peer.ifname(), path.to_string(), e.what()));
  }
}

Clock::time_point TunnelEndpoint::on_timer() {
  auto now = Clock::now();
  for (Peer* p : deadlines_.take_due(now)) {
    check_silence(*p, now);
    for (const auto& probe : p->paths.poll(now)) send_probe(*p, probe);
    maybe_reresolve(*p);
    apply_path(*p);
    deadlines_.set(p, next_deadline(*p, now));
  }
  return deadlines_.earliest();
}

Clock::time_point TunnelEndpoint::next_deadline(const Peer& p, Clock::time_point now) const {
  auto next = p.paths.next_deadline();
  // While data flows, look again soon for silence from the peer.
  if (now - p.last_tx_change < kSilence) next = std::min(next, now + kSilence / 2);
  return next;
}

void TunnelEndpoint::check_silence(Peer& p, Clock::time_point now) const {
  auto& c = p.tunnel.counters;
  std::uint64_t tx = 0;
  if (p.device.is_kernel()) {
    // The kernel moves the data: its interface counters say whether frames
    // go out and come back. A server's clients share one interface, whose
    // counters say nothing about one client: they are not watched.
    std::optional<netlink::LinkStats> st;
    try {
      if (auto* kernel = p.device.kernel())
        st = kernel->stats();
      else if (auto* server = p.device.kernel_server(); server && !cfg_.shared_interface)
        st = server->stats();
    } catch (const std::exception& e) {
      log::warn("{}: reading the interface counters: {}", p.ifname(), e.what());
    }
    if (!st) return;
    if (st->rx_packets != p.kernel_rx_seen) {
      p.kernel_rx_seen = st->rx_packets;
      c.last_rx = now;
    }
    tx = st->tx_packets;
  } else {
    tx = p.tunnel.tx.packets.load(std::memory_order_relaxed);
  }
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

}  // namespace gn::endpoint
