#include "bypass/server.hpp"

#include <algorithm>
#include <utility>

#include "bypass/neighbor.hpp"
#include "bypass/option.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "net/protocol.hpp"
#include "util/bytes.hpp"

namespace gn::bypass {
namespace {

constexpr std::string_view kCounterNames[] = {
#define GN_X(name) #name,
    GN_BYPASS_SERVER_COUNTERS(GN_X)
#undef GN_X
};

constexpr std::size_t kIpv6HeaderLen = 40;

// The flow a client's packet belongs to (`to_server`) or the server's
// reply to it: TCP and UDP by ports, ICMPv6 echo by identifier; anything
// else, or a packet with extension headers, is one flow per protocol.
FlowKey flow_of(std::span<const std::uint8_t> packet, bool to_server) {
  FlowKey k;
  k.proto = packet[6];
  std::copy_n(packet.begin() + (to_server ? 8 : 24), 16, k.client.begin());
  const auto l4 = packet.subspan(kIpv6HeaderLen);
  if ((k.proto == net::kProtoTcp || k.proto == net::kProtoUdp) && l4.size() >= 4) {
    k.client_port = load16(l4.data() + (to_server ? 0 : 2));
    k.server_port = load16(l4.data() + (to_server ? 2 : 0));
  } else if (k.proto == net::kProtoIcmp6 && l4.size() >= 8 && (l4[0] == 128 || l4[0] == 129)) {
    k.client_port = load16(l4.data() + 4);
  }
  return k;
}

bool is_unicast_global(const Ipv6& a) {
  // Not multicast, unspecified, loopback or link-local: a client address.
  if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)) return false;
  return std::any_of(a.begin(), a.end() - 1, [](std::uint8_t b) { return b != 0; }) || a[15] > 1;
}

}  // namespace

std::string_view to_string(ServerCounter c) {
  return kCounterNames[static_cast<std::size_t>(c)];
}

Server::Server(ServerConfig config, const Mac& tunnel_mac) : config_(std::move(config)), tunnel_mac_(tunnel_mac) {}

std::optional<int> Server::trusted_prefix_length(const Ipv4& from) const {
  for (const TrustedGateway& t : config_.trusted)
    if (t.address == from) return t.prefix_length;
  if (config_.trust_any) return 96;
  return std::nullopt;
}

Datagram Server::frame_to(const GatewayInfo& g, std::span<const std::uint8_t> frame) const {
  Datagram d{g.address, {}};
  const geneve::HeaderBuilder h = header(g.vni, false);
  d.payload.reserve(h.bytes().size() + frame.size());
  d.payload.assign(h.bytes().begin(), h.bytes().end());
  d.payload.insert(d.payload.end(), frame.begin(), frame.end());
  return d;
}

Datagram Server::keepalive_to(const GatewayInfo& g, bool leave) const {
  return frame_to(g, build_neighbor(keepalive(g.mac, tunnel_mac_, g.mapped, leave)));
}

void Server::touch(Served& s, const FlowKey& key, Clock::time_point now) {
  std::vector<FlowEvent> events;
  s.flows.touch(key, now, events);
  for (const FlowEvent& e : events) flow_events_.push_back({s.info.address, e});
}

Server::Result Server::on_datagram(const Ipv4& from, std::uint16_t from_port, const Ipv4& local,
                                   std::span<const std::uint8_t> datagram, Clock::time_point now) {
  geneve::Packet g;
  if (geneve::parse(datagram, geneve::OptionId{}, g) != geneve::ParseError::kOk ||
      g.protocol != geneve::kProtoEthernet || g.payload.size() < net::kEthernetHeaderLen)
    return counted(ServerCounter::not_geneve);
  const Found option = find_option(g.options);
  if (option.count > 1) return counted(ServerCounter::bypass_option_duplicated);
  const auto frame = g.payload;
  // An offer is a neighbour solicitation; tell it apart by its ICMPv6 type
  // (parse_offer checks the rest).
  const bool solicitation = load16(frame.data() + 12) == net::kEtherTypeIpv6 &&
                            frame.size() >= net::kEthernetHeaderLen + kIpv6HeaderLen + 1 &&
                            frame[net::kEthernetHeaderLen + 6] == net::kProtoIcmp6 &&
                            frame[net::kEthernetHeaderLen + kIpv6HeaderLen] == net::kIcmp6NeighborSolicitation;
  if (from_port != config_.port) return counted(ServerCounter::wrong_port);
  if (solicitation) return on_offer(from, local, g.vni, option.data, option.count, frame, now);

  auto it = served_.find(from);
  if (it == served_.end()) return counted(ServerCounter::unknown_gateway);
  Served& s = it->second;
  if (g.vni != s.info.vni) return counted(ServerCounter::wrong_vni);
  if (option.count == 0) return counted(ServerCounter::data_no_option);
  if (!std::equal(tunnel_mac_.begin(), tunnel_mac_.end(), frame.begin())) return counted(ServerCounter::wrong_mac);
  if (load16(frame.data() + 12) != net::kEtherTypeIpv6) return counted(ServerCounter::not_ipv6);
  auto packet = frame.subspan(net::kEthernetHeaderLen);
  if (packet.size() < kIpv6HeaderLen || (packet[0] >> 4) != 6) return counted(ServerCounter::malformed);
  const std::size_t length = kIpv6HeaderLen + load16(packet.data() + 4);
  if (length > packet.size()) return counted(ServerCounter::malformed);
  packet = packet.first(length);  // Ethernet padding left out
  if (!std::equal(s.info.mapped.begin(), s.info.mapped.end(), packet.begin() + 24))
    return counted(ServerCounter::bad_destination);
  Ipv6 src{};
  std::copy_n(packet.begin() + 8, 16, src.begin());
  if (!is_unicast_global(src)) return counted(ServerCounter::bad_source);
  touch(s, flow_of(packet, true), now);
  Result r = counted(ServerCounter::data_from_gateways);
  r.to_tun = packet;
  return r;
}

Server::Result Server::on_offer(const Ipv4& from, const Ipv4& local, std::uint32_t vni,
                                std::span<const std::uint8_t> option_data, std::size_t options,
                                std::span<const std::uint8_t> frame, Clock::time_point now) {
  const std::optional<int> prefix_length = trusted_prefix_length(from);
  if (!prefix_length) return counted(ServerCounter::offer_untrusted);
  if (options == 0) return counted(ServerCounter::offer_no_option);
  NeighborMessage offer;
  if (parse_offer(frame, offer) != NeighborError::kOk) return counted(ServerCounter::offer_malformed);
  // The target must be our address embedded in the gateway's prefix.
  const Ipv4 own = config_.address.value_or(local);
  const net::IpAddress target = net::IpAddress::v6(offer.target);
  const net::Nat64Prefix prefix(target, *prefix_length);
  const std::optional<net::IpAddress> embedded = prefix.extract(target);
  if (!embedded || embedded->v4_bytes() != own || prefix.embed(*embedded) != target)
    return counted(ServerCounter::offer_wrong_target);

  auto it = served_.find(from);
  if (it == served_.end() && served_.size() >= config_.max_gateways) return counted(ServerCounter::gateways_full);
  GatewayInfo info{from, vni, offer.eth_src, offer.src, offer.target, *prefix_length};
  Result r = counted(ServerCounter::offers_answered);
  if (it == served_.end()) {
    it = served_.emplace(from, Served{info, FlowTable(config_.max_flows, config_.flow_timeout), now}).first;
    r.gateway = info;
    r.offer_message = log_message(option_data);
  } else {
    const GatewayInfo& old = it->second.info;
    if (old.vni != info.vni || old.mapped != info.mapped || old.mac != info.mac || old.link_local != info.link_local)
      r.gateway = info;
    it->second.info = info;
  }
  it->second.next_keepalive = now + config_.keepalive;
  r.send.push_back(frame_to(info, build_neighbor(acceptance(offer, tunnel_mac_))));
  return r;
}

std::optional<Datagram> Server::on_tun_packet(std::span<const std::uint8_t> packet, Clock::time_point now) {
  if (packet.size() < kIpv6HeaderLen || (packet[0] >> 4) != 6) {
    ++counters_[static_cast<std::size_t>(ServerCounter::malformed)];
    return std::nullopt;
  }
  for (auto& [address, s] : served_) {
    if (!std::equal(s.info.mapped.begin(), s.info.mapped.end(), packet.begin() + 8)) continue;
    touch(s, flow_of(packet, false), now);
    std::vector<std::uint8_t> frame;
    frame.reserve(net::kEthernetHeaderLen + packet.size());
    frame.insert(frame.end(), s.info.mac.begin(), s.info.mac.end());
    frame.insert(frame.end(), tunnel_mac_.begin(), tunnel_mac_.end());
    frame.push_back(static_cast<std::uint8_t>(net::kEtherTypeIpv6 >> 8));
    frame.push_back(static_cast<std::uint8_t>(net::kEtherTypeIpv6 & 0xff));
    frame.insert(frame.end(), packet.begin(), packet.end());
    ++counters_[static_cast<std::size_t>(ServerCounter::data_to_gateways)];
    return frame_to(s.info, frame);
  }
  ++counters_[static_cast<std::size_t>(ServerCounter::no_gateway_for_source)];
  return std::nullopt;
}

std::vector<Datagram> Server::on_timer(Clock::time_point now) {
  std::vector<Datagram> out;
  for (auto& [address, s] : served_) {
    std::vector<FlowEvent> events;
    s.flows.expire(now, events);
    for (const FlowEvent& e : events) flow_events_.push_back({address, e});
    if (now < s.next_keepalive) continue;
    out.push_back(keepalive_to(s.info, false));
    ++counters_[static_cast<std::size_t>(ServerCounter::keepalives_sent)];
    s.next_keepalive = now + config_.keepalive;
  }
  return out;
}

std::vector<Datagram> Server::leave_all() {
  std::vector<Datagram> out;
  for (auto& [address, s] : served_) {
    out.push_back(keepalive_to(s.info, true));
    std::vector<FlowEvent> events;
    s.flows.clear(events);
    for (const FlowEvent& e : events) flow_events_.push_back({address, e});
  }
  return out;
}

void Server::restore(const GatewayInfo& info, Clock::time_point now) {
  if (served_.size() >= config_.max_gateways && served_.find(info.address) == served_.end()) return;
  served_.insert_or_assign(info.address, Served{info, FlowTable(config_.max_flows, config_.flow_timeout), now});
}

std::vector<GatewayInfo> Server::gateways() const {
  std::vector<GatewayInfo> out;
  for (const auto& [address, s] : served_) out.push_back(s.info);
  return out;
}

std::size_t Server::flows(const Ipv4& gateway) const {
  auto it = served_.find(gateway);
  return it == served_.end() ? 0 : it->second.flows.size();
}

}  // namespace gn::bypass
