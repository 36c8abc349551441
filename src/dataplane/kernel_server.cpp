#include "dataplane/kernel_server.hpp"

#include <linux/if_ether.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <fmt/format.h>

#include "dataplane/outer_packet.hpp"
#include "netlink/link.hpp"
#include "util/error.hpp"
#include "util/log.hpp"

namespace gn::dataplane {
namespace {

using netlink::FilterAction;
using netlink::FilterId;
using netlink::FlowerMatch;
using netlink::Hook;
using netlink::Prefix;

// tc preferences (docs/kernel.md, "The objects"). Flower walks a pref's
// masks in insertion order, not longest first, so each prefix length has
// its own pref, longer before shorter.
constexpr std::uint16_t kPrefTarget = 1;   // egress chain i: the path
constexpr std::uint16_t kPrefControl = 1;  // ingress chain 0: control frames (read from NFLOG)
constexpr std::uint16_t kPrefOuter6 = 10;  // ingress chain 0: a client's exact outer path
constexpr std::uint16_t kPrefOuter4 = 11;
constexpr std::uint16_t kPrefAddress6 = 12;  // ingress chain 0: a client's address, any port (direct, PATH)
constexpr std::uint16_t kPrefAddress4 = 13;
constexpr std::uint32_t kAddressSlots = 4;
constexpr std::uint16_t kPrefDrop = 900;  // last in every chain: counted
std::uint16_t pref_destination(const net::IpPrefix& p) {
  return static_cast<std::uint16_t>(p.network().is_v4() ? 141 + (32 - p.length()) : 2 + (128 - p.length()));
}
constexpr std::uint16_t pref_arp_target(int length) {
  return static_cast<std::uint16_t>(180 + (32 - length));
}
// u32 holds at most 4095 filters in one pref's hash table: four prefs per
// length, 16,380 prefixes of one length.
constexpr std::size_t kSolicitationsPerPref = 4000;
constexpr std::size_t kSolicitationPrefsPerLength = 4;
std::uint16_t pref_solicitation(int length, std::size_t bucket) {
  return static_cast<std::uint16_t>(300 + (128 - length) * kSolicitationPrefsPerLength + bucket);
}
// ingress chain i: what client i may send.
constexpr std::uint16_t kPrefSource6 = 1;
constexpr std::uint16_t kPrefSource4 = 2;
constexpr std::uint16_t kPrefArpSender = 3;
constexpr std::uint16_t kPrefArpProbe = 4;
constexpr std::uint16_t kPrefNeighbourDiscovery = 5;
// Neighbour discovery from a link-local or the unspecified source, which
// inner::source_of lets through: types 133-137 as two masked matches
// (132 is MLD Done, exempt there too). MLD itself comes behind a hop-by-hop
// header flower cannot see past, and is dropped: the server is no
// multicast router.
struct IcmpTypes {
  std::uint8_t type, mask;
};
constexpr std::array<IcmpTypes, 2> kNdTypes = {{{132, 0xfc}, {136, 0xfe}}};
constexpr std::uint16_t kEtherTypeControl = 0x88b5;
// NFLOG groups tried: the first free one is ours.
constexpr std::uint16_t kFirstGroup = 0x4e36;
constexpr int kGroupTries = 16;

net::IpAddress address(const char* text) {
  return *net::IpAddress::parse(text);
}

netlink::Message concat(std::vector<netlink::Message> parts) {
  netlink::Message out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// (NflogListener owns a socket and does not move: it is made in place.)
void bind_free_group(std::optional<netlink::NflogListener>& out) {
  for (int i = 0; i < kGroupTries; ++i) {
    try {
      out.emplace(static_cast<std::uint16_t>(kFirstGroup + i));
      return;
    } catch (const netlink::NetlinkError& e) {
      if (e.code() != EBUSY) throw;
    }
  }
  throw std::runtime_error(fmt::format("NFLOG groups {}..{} are all taken in this network namespace", kFirstGroup,
                                       kFirstGroup + kGroupTries - 1));
}

}  // namespace

KernelServer::KernelServer(const KernelServerConfig& cfg) : KernelServer(cfg, false) {}

KernelServer::KernelServer(const KernelServerConfig& cfg, bool probe)
    : cfg_(cfg),
      sock_(NETLINK_ROUTE),
      link_(sock_, create_external_device(sock_, cfg.ifname, cfg.port, cfg.port, cfg.mtu), cfg.ifname) {
  if (!cfg.local.is_v6()) throw UsageError("a server's LOCAL on the kernel data plane is an IPv6 address");
  // From here on a throw unwinds the members: link_ deletes the device and
  // with it every qdisc and filter; table_ its nftables table.
  auto info = netlink::get_link(sock_, cfg.ifname);
  if (!info) throw std::runtime_error("interface " + cfg.ifname + " vanished right after it was created");
  if (info->alias.empty()) netlink::set_alias(sock_, link_.ifindex(), cfg.ifname, ownership_mark());
  range_kept_ = info->port_range && info->port_range->first == cfg.port && info->port_range->second == cfg.port + 1;
  if (info->hardware_address) mac_ = *info->hardware_address;
  // nftables rewrites the destination port of every packet (and the source
  // port before 6.16): the outer checksum must be finished after that.
  netlink::disable_tx_checksum_offload(cfg.ifname);

  const int ifx = link_.ifindex();
  try {
    request(netlink::build_add_clsact(ifx), "adding a clsact qdisc");
  } catch (const netlink::NetlinkError& e) {
    netlink::rethrow_unsupported(e, "clsact qdisc (sch_ingress)");
  }
  std::vector<netlink::Message> shared;
  shared.push_back(netlink::build_matchall_drop({ifx, Hook::kEgress, 0, kPrefDrop, 1, ETH_P_ALL}));
  shared.push_back(netlink::build_matchall_drop({ifx, Hook::kIngress, 0, kPrefControl, 1, kEtherTypeControl}));
  shared.push_back(netlink::build_matchall_drop({ifx, Hook::kIngress, 0, kPrefDrop, 1, ETH_P_ALL}));
  try {
    request(concat(std::move(shared)), "adding the shared drop filters");
  } catch (const netlink::NetlinkError& e) {
    netlink::rethrow_unsupported(e, "matchall or flower classifier, gact action (cls_matchall, cls_flower, act_gact)");
  }

  // The NFLOG group is bound before the table that feeds it: no copy is lost.
  bind_free_group(nflog_);
  netlink::ServerTableSpec spec;
  spec.table = netlink::source_port_table(cfg.ifname);
  spec.comment = ownership_mark();
  spec.port = cfg.port;
  spec.source_port = cfg.port;
  spec.pin_source_port = !range_kept_;
  spec.mark_tag = cfg.mark_tag;
  spec.mark_mask = 0xffff0000;
  spec.capture.group = nflog_->group();
  // Every client's keepalive (at most one per second each) and the burst
  // after a gateway reboot, when all of them probe at once.
  const auto clients = static_cast<std::uint32_t>(std::min<std::size_t>(cfg.clients, kMaxClients));
  spec.capture.rate_per_second = cfg.control_rate ? cfg.control_rate : std::max<std::uint32_t>(100, 4 * clients);
  spec.capture.burst = std::max<std::uint32_t>(100, clients);
  table_.emplace(spec);

  if (probe) {
    // One client's filters: the classifiers and actions a real one needs.
    add_client(1, {1, {net::IpPrefix::parse("2001:db8:1::/64"), net::IpPrefix::parse("192.0.2.0/24")}});
    const net::Endpoint peer{address("2001:db8::1"), 40000};
    admit(1, {peer.address}, peer);
    set_target(1, KernelTarget{peer, std::nullopt});
    return;
  }
  netlink::set_link_mtu_up(sock_, ifx, cfg.ifname, std::nullopt);
  for (const auto& a : cfg.addresses) netlink::add_address(sock_, ifx, cfg.ifname, a);
  log::info(
      "kernel data plane on {}: one external GENEVE device for {} clients on port {}, source port by {}, control "
      "messages through NFLOG group {}",
      cfg.ifname, cfg.clients, cfg.port, to_string(source_port_method()), nflog_->group());
}

KernelServer::~KernelServer() = default;

std::optional<std::string> KernelServer::unsupported_reason(const KernelServerConfig& cfg) {
  KernelServerConfig probe = cfg;
  probe.ifname = fmt::format("gnprobe{}", ::getpid() % 10000000);
  probe.addresses.clear();
  // An external device must be alone on its port: probe on another (never
  // opened: the device is never up).
  probe.port = static_cast<std::uint16_t>(cfg.port == 1 ? 2 : 1);
  try {
    KernelServer s(probe, true);
  } catch (const netlink::KernelUnsupported& e) {
    return e.what();
  }
  return std::nullopt;
}

void KernelServer::request(netlink::Message m, const std::string& what) {
  sock_.request(std::move(m), what + " on " + cfg_.ifname);
}

KernelServer::Client& KernelServer::client(std::uint32_t index) {
  auto it = clients_.find(index);
  if (it == clients_.end()) throw std::logic_error(fmt::format("kernel server: no client {}", index));
  return it->second;
}

void KernelServer::add_client(std::uint32_t index, KernelClient c) {
  if (index == 0 || index > kMaxClients)
    throw UsageError(fmt::format("the kernel data plane carries at most {} clients", kMaxClients));
  if (c.allowed_ips.size() > kMaxPrefixes)
    throw UsageError(fmt::format("the kernel data plane carries at most {} allowed_ips per client", kMaxPrefixes));
  if (!clients_.emplace(index, Client{std::move(c), std::nullopt, {}, {}, std::nullopt, false}).second)
    throw std::logic_error(fmt::format("kernel server: client {} added twice", index));
}

const net::IpAddress& KernelServer::local_for(const net::IpAddress& peer) const {
  if (peer.is_v6()) return cfg_.local;
  if (!cfg_.local4)
    throw std::runtime_error(
        fmt::format("a path over IPv4 ({}) needs an IPv4 LOCAL, and this endpoint has none", peer.to_string()));
  return *cfg_.local4;
}

void KernelServer::install_client_filters(std::uint32_t index, Client& c) {
  const int ifx = link_.ifindex();
  const auto to_client = FilterAction::goto_chain(index);
  std::vector<netlink::Message> m;
  if (cfg_.point_to_point) {
    // The one peer gets every frame and may send anything, as on a
    // peer's own TAP.
    m.push_back(
        netlink::build_flower({ifx, Hook::kIngress, index, 1, 1, ETH_P_ALL}, {}, FilterAction::accept(), false));
    m.push_back(netlink::build_matchall_drop({ifx, Hook::kEgress, index, kPrefDrop, 1, ETH_P_ALL}));
    m.push_back(netlink::build_flower({ifx, Hook::kEgress, 0, 1, index, ETH_P_ALL}, {}, to_client, false));
    request(concat(std::move(m)), "adding the peer's filters");
    c.classified = true;
    return;
  }
  // Ingress chain i: what the client may send (its prefixes as source).
  bool any_v4 = false;
  for (std::size_t k = 0; k < c.spec.allowed_ips.size(); ++k) {
    const auto& p = c.spec.allowed_ips[k];
    const Prefix prefix{p.network(), p.length()};
    const auto handle = static_cast<std::uint32_t>(k + 1);
    FlowerMatch src;
    if (p.network().is_v6()) {
      src.src = prefix;
      m.push_back(netlink::build_flower({ifx, Hook::kIngress, index, kPrefSource6, handle, ETH_P_IPV6}, src,
                                        FilterAction::accept(), false));
    } else {
      any_v4 = true;
      src.src = prefix;
      m.push_back(netlink::build_flower({ifx, Hook::kIngress, index, kPrefSource4, handle, ETH_P_IP}, src,
                                        FilterAction::accept(), false));
      FlowerMatch arp;
      arp.arp_sip = prefix;
      m.push_back(netlink::build_flower({ifx, Hook::kIngress, index, kPrefArpSender, handle, ETH_P_ARP}, arp,
                                        FilterAction::accept(), false));
    }
  }
  if (any_v4) {
    // An ARP probe (RFC 5227) asks from 0.0.0.0.
    FlowerMatch probe;
    probe.arp_sip = Prefix{net::IpAddress::v4({0, 0, 0, 0}), 32};
    m.push_back(netlink::build_flower({ifx, Hook::kIngress, index, kPrefArpProbe, 1, ETH_P_ARP}, probe,
                                      FilterAction::accept(), false));
  }
  // Neighbour discovery from a link-local or the unspecified source: the
  // client's own, so that what else it sends from there counts as its
  // spoofing.
  std::uint32_t nd = 0;
  for (const char* source : {"fe80::/10", "::/128"}) {
    const auto p = net::IpPrefix::parse(source);
    for (const auto& t : kNdTypes) {
      FlowerMatch m6;
      m6.ip_proto = IPPROTO_ICMPV6;
      m6.icmp_type = t.type;
      m6.icmp_type_mask = t.mask;
      m6.src = Prefix{p.network(), p.length()};
      m.push_back(netlink::build_flower({ifx, Hook::kIngress, index, kPrefNeighbourDiscovery, ++nd, ETH_P_IPV6}, m6,
                                        FilterAction::accept(), false));
    }
  }
  m.push_back(netlink::build_matchall_drop({ifx, Hook::kIngress, index, kPrefDrop, 1, ETH_P_ALL}));
  // Egress chain i ends in a drop, so that the client's frames are dropped
  // (and counted) while it has no path.
  m.push_back(netlink::build_matchall_drop({ifx, Hook::kEgress, index, kPrefDrop, 1, ETH_P_ALL}));
  // Egress chain 0: which frames are the client's, as inner::route_address
  // says on the userspace plane: destination, solicitation target, ARP target.
  for (std::size_t k = 0; k < c.spec.allowed_ips.size(); ++k) {
    const auto& p = c.spec.allowed_ips[k];
    const Prefix prefix{p.network(), p.length()};
    const std::uint32_t handle = (index << 8) | static_cast<std::uint32_t>(k);
    FlowerMatch dst;
    dst.dst = prefix;
    if (p.network().is_v6()) {
      m.push_back(netlink::build_flower({ifx, Hook::kEgress, 0, pref_destination(p), handle, ETH_P_IPV6}, dst,
                                        to_client, false));
      const std::size_t n = solicitation_filters_[p.length()];
      const std::size_t bucket = n / kSolicitationsPerPref;
      if (bucket >= kSolicitationPrefsPerLength)
        throw UsageError(fmt::format("the kernel data plane carries at most {} IPv6 prefixes of length /{}",
                                     kSolicitationsPerPref * kSolicitationPrefsPerLength, p.length()));
      m.push_back(netlink::build_solicitation_target(
          {ifx, Hook::kEgress, 0, pref_solicitation(p.length(), bucket), 0, ETH_P_IPV6}, prefix, to_client));
    } else {
      m.push_back(
          netlink::build_flower({ifx, Hook::kEgress, 0, pref_destination(p), handle, ETH_P_IP}, dst, to_client, false));
      FlowerMatch arp;
      arp.arp_tip = prefix;
      m.push_back(netlink::build_flower({ifx, Hook::kEgress, 0, pref_arp_target(p.length()), handle, ETH_P_ARP}, arp,
                                        to_client, false));
    }
  }
  try {
    request(concat(std::move(m)), fmt::format("adding client {}'s filters", index));
  } catch (const netlink::NetlinkError& e) {
    netlink::rethrow_unsupported(e, "flower or u32 classifier (cls_flower, cls_u32)");
  }
  for (const auto& p : c.spec.allowed_ips)
    if (p.network().is_v6()) ++solicitation_filters_[p.length()];
  c.classified = true;
}

void KernelServer::set_target(std::uint32_t index, const std::optional<KernelTarget>& target) {
  Client& c = client(index);
  if (c.target == target) return;
  const int ifx = link_.ifindex();
  const std::uint32_t mark = cfg_.mark_tag | index;
  const FilterId path_filter{ifx, Hook::kEgress, index, kPrefTarget, 1, ETH_P_ALL};
  if (!target) {
    // Its frames meet chain i's drop from now on.
    try {
      request(netlink::build_delete_filter(path_filter), fmt::format("removing client {}'s path", index));
    } catch (const netlink::NetlinkError& e) {
      if (e.code() != ENOENT) throw;
    }
    table_->remove_port(mark, c.target->to.address);
    c.target.reset();
    return;
  }
  const net::IpAddress& local = local_for(target->to.address);
  if (!c.classified) install_client_filters(index, c);
  // (1) the port for the new address first: a marked packet must find its
  // element, and one keyed by address cannot reach another client's port.
  table_->set_port(mark, target->to.address, target->to.port);
  // (2) frames go to the new target: one replacement.
  netlink::TunnelKey key;
  key.vni = c.spec.vni;
  key.src = local;
  key.dst = target->to.address;
  key.dst_port = target->to.port;  // ignored by kernel GENEVE: the map sets it
  key.ttl = cfg_.ttl;
  key.csum = true;
  key.option = target->option;
  try {
    request(netlink::build_flower(path_filter, {}, FilterAction::tunnel(key, mark), true),
            fmt::format("sending client {}'s frames to {}", index, target->to.to_string()));
  } catch (const netlink::NetlinkError& e) {
    netlink::rethrow_unsupported(e, "tunnel_key or skbedit action (act_tunnel_key, act_skbedit)");
  }
  // (3) the old address's element, no longer used.
  if (c.target && c.target->to.address != target->to.address) table_->remove_port(mark, c.target->to.address);
  c.target = target;
}

void KernelServer::admit(std::uint32_t index, const std::vector<net::IpAddress>& any_port,
                         const std::optional<net::Endpoint>& exact) {
  Client& c = client(index);
  if (c.classified && c.admitted_addresses == any_port && c.admitted_exact == exact) return;
  if (!c.classified) install_client_filters(index, c);
  const int ifx = link_.ifindex();
  std::vector<FilterId> now;
  // Replace semantics: a filter that stays at its (pref, handle) changes in
  // one step; new ones are made before stale ones go.
  if (exact) {
    const FilterId f{ifx, Hook::kIngress, 0, exact->address.is_v6() ? kPrefOuter6 : kPrefOuter4, index, ETH_P_ALL};
    request(netlink::build_client_ingress(f, c.spec.vni, *exact, net::Endpoint{local_for(exact->address), cfg_.port},
                                          index, true),
            fmt::format("admitting client {} from {}", index, exact->to_string()));
    now.push_back(f);
  }
  std::uint32_t slot = 0;
  for (const auto& a : any_port) {
    if (slot == kAddressSlots) break;
    const FilterId f{ifx,      Hook::kIngress, 0, a.is_v6() ? kPrefAddress6 : kPrefAddress4, (index << 2) | slot++,
                     ETH_P_ALL};
    request(netlink::build_client_ingress(f, c.spec.vni, net::Endpoint{a, 0}, net::Endpoint{local_for(a), cfg_.port},
                                          index, false),
            fmt::format("admitting client {} from {}", index, a.to_string()));
    now.push_back(f);
  }
  for (const auto& old : c.admitted) {
    if (std::find(now.begin(), now.end(), old) != now.end()) continue;
    try {
      request(netlink::build_delete_filter(old), fmt::format("removing an old path of client {}", index));
    } catch (const netlink::NetlinkError& e) {
      if (e.code() != ENOENT) log::warn("{}", e.what());
    }
  }
  c.admitted = std::move(now);
  c.admitted_addresses = any_port;
  c.admitted_exact = exact;
}

std::optional<KernelTarget> KernelServer::target(std::uint32_t index) const {
  auto it = clients_.find(index);
  return it == clients_.end() ? std::nullopt : it->second.target;
}

bool KernelServer::receive_control(const ControlFn& fn) {
  return nflog_->receive([&](std::span<const std::uint8_t> packet) {
    ++control_stats_.copies;
    // The copy is taken before UDP verifies the checksum: parse_udp does,
    // and takes a CHECKSUM_PARTIAL packet's as the kernel's UDP does (a
    // client in a container on this host); the message's MAC covers it.
    outer::Datagram d;
    geneve::Packet pkt;
    const bool to_us = outer::parse_udp(packet, d, outer::ChecksumPolicy::kVerifyOrPartial) == outer::ParseError::kOk &&
                       d.to.port == cfg_.port &&
                       (d.to.address == cfg_.local || (cfg_.local4 && d.to.address == *cfg_.local4));
    if (!to_us || geneve::parse(d.payload, cfg_.option_id, pkt) != geneve::ParseError::kOk ||
        pkt.protocol != geneve::kProtoEthernet || !geneve::is_control_frame(pkt.payload)) {
      ++control_stats_.rejected;
      return;
    }
    fn(d.from, pkt.vni, pkt.payload);
  });
}

bool KernelServer::send_control(const net::Endpoint& to, std::span<const std::uint8_t> header,
                                std::span<const std::uint8_t> frame) {
  return raw_.send(net::Endpoint{local_for(to.address), cfg_.port}, to, header, frame, cfg_.ttl);
}

KernelServer::Counters KernelServer::counters() {
  Counters out;
  for (Hook hook : {Hook::kIngress, Hook::kEgress}) {
    const bool in = hook == Hook::kIngress;
    sock_.dump(netlink::build_dump_filters(link_.ifindex(), hook),
               fmt::format("reading the {} filter counters of {}", in ? "ingress" : "egress", cfg_.ifname),
               [&](const nlmsghdr* nlh) {
                 auto f = netlink::parse_filter_stats(nlh);
                 if (!f) return;
                 if (f->chain == 0) {
                   if (f->pref == kPrefDrop) {
                     (in ? out.unknown_source : out.no_peer) += f->packets;
                   } else if (in && (f->pref == kPrefOuter6 || f->pref == kPrefOuter4)) {
                     auto& c = out.clients[f->handle];
                     c.rx_packets += f->packets;
                     c.rx_bytes += f->bytes;
                   } else if (in && (f->pref == kPrefAddress6 || f->pref == kPrefAddress4)) {
                     auto& c = out.clients[f->handle >> 2];
                     c.rx_packets += f->packets;
                     c.rx_bytes += f->bytes;
                   }
                   return;
                 }
                 auto& c = out.clients[f->chain];
                 if (f->pref == kPrefDrop) {
                   (in ? c.source_not_allowed : c.no_path) += f->packets;
                 } else if (!in && f->pref == kPrefTarget) {
                   c.tx_packets += f->packets;
                   c.tx_bytes += f->bytes;
                 }
               });
  }
  return out;
}

KernelServer::ControlStats KernelServer::control_stats() const {
  ControlStats s = control_stats_;
  s.overruns = nflog_->overruns();
  return s;
}

netlink::LinkStats KernelServer::stats() {
  auto info = netlink::get_link(sock_, cfg_.ifname);
  if (!info) throw std::runtime_error("interface " + cfg_.ifname + " is gone");
  return info->stats;
}

}  // namespace gn::dataplane
