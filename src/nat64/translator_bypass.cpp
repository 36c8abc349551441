// The translator's NAT64 bypass path (docs/protocol.md 8): IPv6 packets to
// a server that accepted are carried to it inside GENEVE instead of being
// translated, its IPv6 replies are taken out and forwarded, and its
// acceptances, keepalives and leaves are taken. Per-server state only
// (BypassServers); nothing per connection.
#include <algorithm>

#include "bypass/neighbor.hpp"
#include "bypass/option.hpp"
#include "nat64/addresses.hpp"
#include "nat64/icmp_map.hpp"
#include "nat64/translator.hpp"
#include "net/protocol.hpp"

namespace gn::nat64 {
using namespace gn::checksum;  // NOLINT(google-build-using-namespace): the arithmetic is this file's vocabulary
namespace {

constexpr std::uint8_t kBypassTtl = 64;
constexpr std::uint16_t kDontFragment = 0x4000;
// Outer IPv4 + UDP + GENEVE + the option's header + Ethernet (8.1).
constexpr std::size_t kBypassOverhead =
    kIpv4HeaderLen + kUdpHeaderLen + geneve::kBaseHeaderLen + geneve::kOptionHeaderLen + net::kEthernetHeaderLen;

bool unreachable_revokes(std::uint8_t code) {
  // Host, protocol, port unreachable; administratively prohibited (RFC 1812).
  return code == 1 || code == 2 || code == 3 || code == 9 || code == 10 || code == 13;
}

bool link_local(const Bytes16& a) {
  return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

}  // namespace

std::uint32_t Translator::bypass_vni(const Bytes4& server) const {
  return bypass::vni_for(config_.bypass.persistent, server);
}

bypass::Mac Translator::gateway_mac(const Bytes4& server) const {
  return bypass::mac_for(mac_secret_, server);
}

std::vector<BypassServers::Accepted> Translator::bypass_accepted() const {
  if (!bypass_servers_) return {};
  return bypass_servers_->accepted(clock_());
}

void Translator::rotate_bypass_mac(TimePoint now) {
  if (now - mac_rotated_ < config_.bypass.mac_rotation) return;
  previous_mac_secret_ = mac_secret_;
  mac_secret_ = config_.bypass.transient();
  mac_rotated_ = now;
}

bool Translator::has_session_6to4(const V6& ip) {
  const net::IpAddress src = net::IpAddress::v6(ip.src);
  const std::uint32_t remote = as_u32(config_.prefix.extract(net::IpAddress::v6(ip.dst))->v4_bytes());
  Proto proto;
  std::uint16_t local_port;
  std::uint16_t remote_port;
  if ((ip.next_header == kProtoUdp || ip.next_header == kProtoTcp) && ip.payload.size() >= 4) {
    proto = ip.next_header == kProtoUdp ? Proto::kUdp : Proto::kTcp;
    local_port = load16(ip.payload.data());
    remote_port = load16(ip.payload.data() + 2);
  } else if (ip.next_header == kProtoIcmp6 && ip.payload.size() >= kIcmpHeaderLen &&
             (ip.payload[0] == kIcmp6EchoRequest || ip.payload[0] == kIcmp6EchoReply)) {
    proto = Proto::kIcmp;
    local_port = load16(ip.payload.data() + 4);
    remote_port = 0;
  } else {
    return false;  // nothing else is ever translated with state
  }
  const Binding* b = table_.find_binding_v6(proto, src, local_port);
  return b != nullptr && table_.find_session(proto, b->pool_port, remote, remote_port) != nullptr;
}

std::uint8_t* Translator::begin_encapsulation(const Bytes4& server, std::span<const std::uint8_t> geneve_header,
                                              std::size_t frame_size, std::vector<std::uint8_t>& out) {
  const std::size_t udp_length = kUdpHeaderLen + geneve_header.size() + frame_size;
  out.resize(kIpv4HeaderLen + udp_length);
  std::uint8_t* p = out.data();
  write_ipv4_header(p, 0, out.size(), kBypassTtl, kProtoUdp, pool_v4_, server);
  // DF always (8.1): the inner MTU is chosen so that nothing needs cutting.
  store16(p + 6, kDontFragment);
  store16(p + 10, 0);
  store16(p + 10, finish(sum_bytes({p, kIpv4HeaderLen})));
  std::uint8_t* udp = p + kIpv4HeaderLen;
  store16(udp, config_.geneve_port);
  store16(udp + 2, config_.geneve_port);
  store16(udp + 4, static_cast<std::uint16_t>(udp_length));
  store16(udp + 6, 0);
  std::copy(geneve_header.begin(), geneve_header.end(), udp + kUdpHeaderLen);
  return udp + kUdpHeaderLen + geneve_header.size();
}

void Translator::finish_encapsulation(const Bytes4& server, std::vector<std::uint8_t>& out) {
  std::uint8_t* udp = out.data() + kIpv4HeaderLen;
  const std::size_t udp_length = out.size() - kIpv4HeaderLen;
  const auto length32 = static_cast<std::uint32_t>(udp_length);
  store16(udp + 6,
          udp_wire_checksum(finish(pseudo_v4(pool_v4_, server, kProtoUdp, length32) + sum_bytes({udp, udp_length}))));
}

void Translator::queue_offer(const Bytes4& server, const Bytes16& mapped) {
  const auto frame = bypass::build_neighbor(bypass::offer_solicitation(gateway_mac(server), mapped));
  const auto header = bypass::header(bypass_vni(server), true, config_.bypass.message);
  std::vector<std::uint8_t>& packet = originated_.emplace_back();
  std::copy(frame.begin(), frame.end(), begin_encapsulation(server, header.bytes(), frame.size(), packet));
  finish_encapsulation(server, packet);
  counters_.add(Counter::bypass_offers);
}

std::optional<Verdict> Translator::bypass_6to4(const V6& ip, std::span<const std::uint8_t> in,
                                               std::vector<std::uint8_t>& out) {
  const Bytes4 server = config_.prefix.extract(net::IpAddress::v6(ip.dst))->v4_bytes();
  // A flow translated before the server accepted stays translated: a TCP
  // connection cannot change its addresses (8.6).
  if (has_session_6to4(ip)) return std::nullopt;
  const TimePoint now = clock_();
  switch (bypass_servers_->on_client_packet(as_u32(server), now)) {
    case BypassServers::Decision::kTranslate: return std::nullopt;
    case BypassServers::Decision::kRateLimited: counters_.add(Counter::bypass_offers_rate_limited); return std::nullopt;
    case BypassServers::Decision::kTableFull: counters_.add(Counter::bypass_servers_full); return std::nullopt;
    case BypassServers::Decision::kOffer: queue_offer(server, ip.dst); return std::nullopt;
    case BypassServers::Decision::kBypass: break;
  }
  // With --bypass the gateway's TUN hands over no TCP super-packets (it is
  // opened without TSO); one that comes anyway is translated.
  if (offload_in_.tcp_segment != 0) return std::nullopt;
  const std::size_t inner_mtu = config_.mtu - kBypassOverhead;
  if (in.size() > inner_mtu)
    return icmp6_error_reply(ip, in, kIcmp6PacketTooBig, 0, static_cast<std::uint32_t>(inner_mtu),
                             Counter::too_big_sent, out);
  const std::optional<bypass::Mac> server_mac = bypass_servers_->server_mac(as_u32(server), now);
  // One copy: the packet goes straight behind the headers in `out`.
  std::uint8_t* frame = begin_encapsulation(server, bypass::header(bypass_vni(server), true).bytes(),
                                            net::kEthernetHeaderLen + in.size(), out);
  const bypass::Mac own = gateway_mac(server);
  std::copy(server_mac->begin(), server_mac->end(), frame);
  std::copy(own.begin(), own.end(), frame + 6);
  store16(frame + 12, net::kEtherTypeIpv6);
  std::uint8_t* packet = frame + net::kEthernetHeaderLen;
  std::copy(in.begin(), in.end(), packet);
  packet[7] = static_cast<std::uint8_t>(ip.hop_limit - 1);  // forwarded as a router does
  if (offload_in_.partial && (ip.next_header == kProtoTcp || ip.next_header == kProtoUdp)) {
    // The L4 checksum was left to be completed (its field holds the
    // pseudo-header sum): the server's stack cannot, so complete it here.
    const auto l4 = static_cast<std::size_t>(ip.payload.data() - in.data());
    const std::size_t field = ip.next_header == kProtoTcp ? 16 : 6;
    if (ip.payload.size() >= field + 2) {
      const std::uint16_t sum = finish(sum_bytes({packet + l4, ip.payload.size()}));
      store16(packet + l4 + field, ip.next_header == kProtoUdp ? udp_wire_checksum(sum) : sum);
    }
  }
  finish_encapsulation(server, out);
  return forward(Counter::bypassed_to_server);
}

std::optional<Verdict> Translator::bypass_4to6(const V4& ip, std::span<const std::uint8_t> udp,
                                               std::vector<std::uint8_t>& out) {
  if (load16(udp.data()) != config_.geneve_port) return std::nullopt;
  geneve::Packet g;
  if (geneve::parse(udp.subspan(kUdpHeaderLen), config_.option_id, g) != geneve::ParseError::kOk) return std::nullopt;
  // A bypass packet is told from any other GENEVE datagram to this port by
  // the server's VNI and the gateway's MAC for it together (8.3): 72 keyed
  // bits no ordinary tunnel matches by chance.
  if (g.protocol != geneve::kProtoEthernet || g.vni != bypass_vni(ip.src) || g.payload.size() < net::kEthernetHeaderLen)
    return std::nullopt;
  bypass::Mac dst{};
  std::copy_n(g.payload.begin(), dst.size(), dst.begin());
  if (dst != gateway_mac(ip.src) && dst != bypass::mac_for(previous_mac_secret_, ip.src)) return std::nullopt;

  // Its payload is taken out, so its checksum must hold (0: none, RFC 768).
  if (load16(udp.data() + 6) != 0 &&
      !checksum_ok(pseudo_v4(ip.src, ip.dst, kProtoUdp, static_cast<std::uint32_t>(udp.size())) + sum_bytes(udp)))
    return drop(Counter::bad_checksum);
  if (bypass::find_option(g.options).count != 0) return drop(Counter::bypass_option_from_server);
  if (load16(g.payload.data() + 12) != net::kEtherTypeIpv6) return drop(Counter::bypass_not_ipv6);
  const auto packet = g.payload.subspan(net::kEthernetHeaderLen);
  V6 inner;
  if (parse_ipv6(packet, Completeness::kComplete, inner) != ParseStatus::kOk) return drop(Counter::malformed);
  const Bytes16 mapped = config_.prefix.embed(net::IpAddress::v4(ip.src)).bytes();
  const std::uint32_t server = as_u32(ip.src);
  const TimePoint now = clock_();

  if (inner.next_header == kProtoIcmp6 && !inner.payload.empty() &&
      inner.payload[0] == net::kIcmp6NeighborAdvertisement) {
    bypass::NeighborMessage m;
    if (bypass::parse_advertisement(g.payload, m) != bypass::NeighborError::kOk || m.target != mapped)
      return drop(Counter::bypass_bad_accept);
    if (m.link_layer) {
      if (bypass_servers_->accept(server, *m.link_layer, now)) {
        counters_.add(Counter::bypass_accepted);
        if (bypass_hook_) bypass_hook_(ip.src, "accepted", *m.link_layer);
      }
    } else if (bypass_servers_->forget(server, now)) {
      counters_.add(Counter::bypass_left);
      if (bypass_hook_) bypass_hook_(ip.src, "left", m.eth_src);
    }
    return drop(Counter::bypass_control);
  }
  if (!bypass_servers_->server_mac(server, now)) return drop(Counter::bypass_unknown_server);
  if (inner.src != mapped) return drop(Counter::bypass_spoofed_source);
  if (!v6_unicast(inner.dst) || link_local(inner.dst) || config_.prefix.contains(net::IpAddress::v6(inner.dst)))
    return drop(Counter::bypass_bad_destination);
  if (inner.hop_limit <= 1) return drop(Counter::hop_limit_exceeded);
  // The IPv6 packet as its header measures it (Ethernet padding left out).
  const std::size_t length = kIpv6HeaderLen + load16(packet.data() + 4);
  out.assign(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(std::min(length, packet.size())));
  out[7] = static_cast<std::uint8_t>(inner.hop_limit - 1);
  return forward(Counter::bypassed_from_server);
}

bool Translator::bypass_revoke(const V4& ip, const V4& inner) {
  const auto& icmp = ip.payload;
  if (icmp[0] != kIcmp4DestUnreachable || !unreachable_revokes(icmp[1])) return false;
  // About a bypass packet we sent to the server that answers: UDP from
  // port to port GENEVE with the server's VNI (the quote holds at least
  // the UDP header; the GENEVE header is needed too).
  if (inner.src != pool_v4_ || inner.dst != ip.src || inner.proto != kProtoUdp ||
      inner.payload.size() < kUdpHeaderLen + geneve::kBaseHeaderLen)
    return false;
  const std::uint8_t* u = inner.payload.data();
  if (load16(u) != config_.geneve_port || load16(u + 2) != config_.geneve_port) return false;
  const std::uint8_t* gh = u + kUdpHeaderLen;
  const std::uint32_t vni = (std::uint32_t{gh[4]} << 16) | (std::uint32_t{gh[5]} << 8) | gh[6];
  if (vni != bypass_vni(inner.dst)) return false;
  if (bypass_servers_->forget(as_u32(inner.dst), clock_()) && bypass_hook_)
    bypass_hook_(inner.dst, "revoked", bypass::Mac{});
  return true;
}

}  // namespace gn::nat64
