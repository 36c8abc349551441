#include "nat64/translator.hpp"

#include <algorithm>
#include <cstring>

#include "nat64/addresses.hpp"
#include "nat64/icmp_map.hpp"
#include "net/checksum.hpp"

namespace gn::nat64 {
using namespace gn::checksum;  // NOLINT(google-build-using-namespace): the arithmetic is this file's vocabulary
namespace {

// Largest ICMP error we originate or produce by translation: RFC 1812
// 4.3.2.3 (IPv4) and RFC 4443 2.4(c) (IPv6).
constexpr std::size_t kMaxIcmp4Error = 576;
constexpr std::size_t kMaxIcmp6Error = 1280;
// RFC 7915 5.1: translated IPv4 packets up to this size leave with DF clear,
// so that IPv4 links with an MTU below 1280 can still fragment them.
constexpr std::size_t kDfThreshold = 1260;
constexpr std::uint8_t kOriginatedHopLimit = 64;
// Bound on IPv4 sources the extension's rate limiter tracks at once.
constexpr std::size_t kMaxRateLimitedSources = 65536;

// A TCP segment's header length from its data offset, if the segment holds
// it; 0 if it does not.
std::size_t tcp_header_length(std::span<const std::uint8_t> segment) {
  if (segment.size() < kTcpHeaderLen) return 0;
  std::size_t length = static_cast<std::size_t>(segment[12] >> 4) * 4;
  return length >= kTcpHeaderLen && length <= segment.size() ? length : 0;
}
constexpr std::size_t kTcpFlagsOffset = 13;
constexpr std::size_t kTcpChecksumOffset = 16;

void write_ipv6_header(std::uint8_t* p, std::uint8_t traffic_class, std::size_t payload_length,
                       std::uint8_t next_header, std::uint8_t hop_limit, const Bytes16& src, const Bytes16& dst) {
  // Flow label 0: RFC 7915 4.1 (the IPv4 side has none to copy).
  p[0] = static_cast<std::uint8_t>(0x60 | (traffic_class >> 4));
  p[1] = static_cast<std::uint8_t>(traffic_class << 4);
  p[2] = 0;
  p[3] = 0;
  store16(p + 4, static_cast<std::uint16_t>(payload_length));
  p[6] = next_header;
  p[7] = hop_limit;
  std::copy(src.begin(), src.end(), p + 8);
  std::copy(dst.begin(), dst.end(), p + 24);
}

}  // namespace

Translator::Translator(TranslatorConfig config, ClockFn clock)
    : config_(std::move(config)),
      clock_(std::move(clock)),
      table_(TableLimits{config_.max_sessions, 1024, 65535, config_.geneve_port}, config_.timeouts),
      rate_limiter_(config_.rate, config_.burst, kMaxRateLimitedSources),
      prefix_limiter_(config_.prefix_rate, config_.prefix_rate / 10, config_.max_usage_prefixes),
      usage_v6_(config_.max_usage_prefixes),
      unmapped_v4_(config_.max_usage_prefixes),
      reassembler_(config_.reassembly),
      own_v6_(config_.prefix.embed(config_.pool)),
      pool_v4_(config_.pool.v4_bytes()) {
  if (config_.bypass.enabled) {
    bypass_servers_.emplace(config_.bypass.limits);
    mac_secret_ = config_.bypass.transient();
    previous_mac_secret_ = mac_secret_;
    mac_rotated_ = clock_();
  }
}

Verdict Translator::drop(Counter c) {
  counters_.add(c);
  return {Fate::kDrop, c};
}

void Translator::on_timer() {
  TimePoint now = clock_();
  counters_.add(Counter::sessions_expired, table_.expire(now));
  rate_limiter_.prune(now);
  if (config_.prefix_rate > 0) prefix_limiter_.prune(now);
  counters_.add(Counter::fragments_expired, reassembler_.expire(now));
  if (bypass_servers_) {
    bypass_servers_->expire(now);
    rotate_bypass_mac(now);
  }
}

Verdict Translator::account(std::span<const std::uint8_t> in, const std::vector<std::uint8_t>& out, Verdict v) {
  bool forward = v.fate == Fate::kForward;
  std::optional<std::uint32_t> prefix32;  // whose bandwidth a translation spends
  // Malformed packets and the kernel's link-local chatter on the TUN
  // device (not_in_prefix) are nobody's use of the service.
  // A held fragment is counted with its datagram, when that completes.
  bool counted =
      v.counter != Counter::malformed && v.counter != Counter::not_in_prefix && v.counter != Counter::fragment_held;
  if (!counted) return v;
  const std::size_t size = reassembled_size_ != 0 ? reassembled_size_ : in.size();
  if (in[0] >> 4 == 6 && in.size() >= kIpv6HeaderLen) {
    usage_v6_.count_from(load32(in.data() + 8), size);
    if (forward && (v.counter == Counter::translated_6to4 || v.counter == Counter::bypassed_to_server))
      prefix32 = load32(in.data() + 8);
  } else if (in[0] >> 4 == 4 && in.size() >= kIpv4HeaderLen) {
    bool delivered = forward && (v.counter == Counter::translated_4to6 || v.counter == Counter::extension_delivered ||
                                 v.counter == Counter::bypassed_from_server);
    if (delivered && out.size() >= kIpv6HeaderLen) {
      usage_v6_.count_to(load32(out.data() + 24), out.size());
      prefix32 = load32(out.data() + 24);
    } else {
      unmapped_v4_.count_from(load32(in.data() + 12) & 0xffffff00u, size);
    }
  }
  if (prefix32 && config_.prefix_rate > 0 && !prefix_limiter_.allow(*prefix32, clock_(), static_cast<double>(size)))
    return drop(Counter::prefix_rate_limited);
  return v;
}

Verdict Translator::process(std::span<const std::uint8_t> packet, std::vector<std::uint8_t>& out) {
  reassembled_size_ = 0;
  from_fragments_ = false;
  fragment_to_ = 0;
  segment_limit_ = config_.mtu;
  if (packet.empty()) return drop(Counter::malformed);
  switch (packet[0] >> 4) {
    case 6: return from_ipv6(packet, out);
    case 4: return from_ipv4(packet, out);
    default: return drop(Counter::malformed);
  }
}

void Translator::write_ipv4_header(std::uint8_t* p, std::uint8_t tos, std::size_t total_length, std::uint8_t ttl,
                                   std::uint8_t proto, const Bytes4& src, const Bytes4& dst) {
  p[0] = 0x45;
  p[1] = tos;
  store16(p + 2, static_cast<std::uint16_t>(total_length));
  // RFC 6864: the Identification must be unique for packets that may be
  // fragmented; a running counter is, within any reassembly timeout.
  store16(p + 4, next_ip_id_++);
  // Reassembled from IPv6 fragments: the sender allowed fragmentation.
  store16(p + 6, total_length > kDfThreshold && !from_fragments_ ? 0x4000 : 0);
  p[8] = ttl;
  p[9] = proto;
  store16(p + 10, 0);
  std::copy(src.begin(), src.end(), p + 12);
  std::copy(dst.begin(), dst.end(), p + 16);
  store16(p + 10, finish(sum_bytes({p, kIpv4HeaderLen})));
}

// ---------------------------------------------------------------------------
// IPv6 -> IPv4

Verdict Translator::from_ipv6(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  V6 ip;
  if (parse_ipv6(in, Completeness::kComplete, ip) != ParseStatus::kOk) return drop(Counter::malformed);
  if (ip.routing) return drop(Counter::unsupported_extension_header);
  auto src = net::IpAddress::v6(ip.src);
  auto dst = net::IpAddress::v6(ip.dst);
  // A source inside the prefix would be an IPv4 host impersonated from the
  // IPv6 side.
  if (!v6_unicast(ip.src) || config_.prefix.contains(src)) return drop(Counter::bad_source);
  auto dst4 = config_.prefix.extract(dst);
  if (!dst4) return drop(Counter::not_in_prefix);
  if (ip.fragment) return reassemble_ipv6(ip, in, out);
  bool is_icmp = ip.next_header == kProtoIcmp6 && ip.payload.size() >= kIcmpHeaderLen;
  if (*dst4 == config_.pool) {
    // The pool address seen through the prefix is the gateway itself: it
    // answers pings, and translates nothing to itself (no hairpinning).
    if (is_icmp && ip.payload[0] == kIcmp6EchoRequest) return echo6_reply(ip, out);
    return drop(Counter::hairpin);
  }
  if (!v4_unicast(dst4->v4_bytes())) return drop(Counter::bad_destination);
  if (ip.hop_limit <= 1) {
    if (is_icmp && is_icmp6_error(ip.payload[0])) return drop(Counter::hop_limit_exceeded);
    return icmp6_error_reply(ip, in, kIcmp6TimeExceeded, 0, 0, Counter::time_exceeded_sent, out);
  }
  // A reassembled datagram is translated, never bypassed (docs/protocol.md 8.6).
  if (bypass_servers_ && !from_fragments_)
    if (auto v = bypass_6to4(ip, in, out)) return *v;
  switch (ip.next_header) {
    case kProtoUdp: {
      std::size_t out_size = kIpv4HeaderLen + ip.payload.size();
      if (auto v = check_size_6to4(ip, in, out_size, out)) return *v;
      return udp_6to4(ip, out);
    }
    case kProtoTcp: {
      std::size_t out_size = kIpv4HeaderLen + ip.payload.size();
      if (auto v = check_size_6to4(ip, in, out_size, out)) return *v;
      return tcp_6to4(ip, out);
    }
    case kProtoIcmp6:
      if (ip.payload.size() < kIcmpHeaderLen) return drop(Counter::malformed);
      // RFC 7915 5.2: errors are translated, and so are echo messages;
      // everything else (ND, MLD, ...) is link-local business.
      if (ip.payload[0] == kIcmp6EchoRequest || ip.payload[0] == kIcmp6EchoReply) {
        std::size_t out_size = kIpv4HeaderLen + ip.payload.size();
        if (auto v = check_size_6to4(ip, in, out_size, out)) return *v;
        return echo_6to4(ip, out);
      }
      if (is_icmp6_error(ip.payload[0])) return error_6to4(ip, out);
      return drop(Counter::icmp_untranslatable);
    default: return drop(Counter::unsupported_protocol);
  }
}

std::optional<Verdict> Translator::check_size_6to4(const V6& ip, std::span<const std::uint8_t> in, std::size_t out_size,
                                                   std::vector<std::uint8_t>& out) {
  // The IPv4 side (the TUN device again) carries at most `mtu`. An IPv6
  // packet read from a TUN of that MTU always shrinks below it, so this only
  // fires if the device and configuration disagree; but never emit more than
  // we promised.
  if (out_size > 0xffff) return drop(Counter::malformed);  // a super-packet past IPv4's total length
  if (largest_packet(out_size, ip.next_header, ip.payload, kIpv4HeaderLen) <= config_.mtu) return std::nullopt;
  // The sender fragmented it: IPv4 fragments are as good (RFC 7915 5.1).
  if (from_fragments_) {
    fragment_to_ = config_.mtu;
    return std::nullopt;
  }
  return icmp6_error_reply(ip, in, kIcmp6PacketTooBig, 0, config_.mtu + 20, Counter::too_big_sent, out);
}

Verdict Translator::udp_6to4(const V6& ip, std::vector<std::uint8_t>& out) {
  if (ip.payload.size() < kUdpHeaderLen) return drop(Counter::malformed);
  std::size_t udp_length = load16(ip.payload.data() + 4);
  if (udp_length < kUdpHeaderLen || udp_length > ip.payload.size()) return drop(Counter::malformed);
  std::uint16_t checksum = load16(ip.payload.data() + 6);
  // Zero is not a checksum over IPv6 (RFC 8200 8.1); we would have to
  // invent one for data we cannot vouch for.
  if (checksum == 0) return drop(Counter::bad_checksum);
  std::uint16_t src_port = load16(ip.payload.data());
  std::uint16_t dst_port = load16(ip.payload.data() + 2);
  Bytes4 dst4 = config_.prefix.extract(net::IpAddress::v6(ip.dst))->v4_bytes();

  // An endpoint sending from the GENEVE port gets pool:GENEVE-port (when
  // free): the binding the extension would create for it, so that one
  // binding serves its own packets and its peer's, whichever came first
  // (docs/protocol.md 3.3). With the extension on, only endpoints the
  // extension may deliver to (--allow) get that port; others get a dynamic
  // one and cannot take it from them.
  net::IpAddress src6 = net::IpAddress::v6(ip.src);
  bool may_reserve = !extension_enabled() || route_allowed(src6);
  StateResult r = table_.outbound(Proto::kUdp, src6, src_port, as_u32(dst4), dst_port, clock_(), may_reserve);
  if (r.error != StateError::kOk) return count_state_error(r.error);
  count_created(r, CreatedBy::kOutbound);
  std::uint16_t pool_port = r.session->binding->pool_port;

  out.resize(kIpv4HeaderLen + udp_length);
  std::uint8_t* p = out.data();
  write_ipv4_header(p, ip.traffic_class, out.size(), static_cast<std::uint8_t>(ip.hop_limit - 1), kProtoUdp, pool_v4_,
                    dst4);
  std::uint8_t* udp = p + kIpv4HeaderLen;
  std::copy_n(ip.payload.begin(), udp_length, udp);
  store16(udp, pool_port);
  // Only the addresses and the source port change; the pseudo-header's
  // protocol and length are the same in both families.
  std::uint64_t removed = sum_bytes(ip.src) + sum_bytes(ip.dst) + src_port;
  std::uint64_t added = sum_bytes(pool_v4_) + sum_bytes(dst4) + pool_port;
  store16(udp + 6, udp_wire_checksum(adjust(checksum, removed, added)));
  return forward(Counter::translated_6to4);
}

Verdict Translator::tcp_6to4(const V6& ip, std::vector<std::uint8_t>& out) {
  const auto& segment = ip.payload;
  if (tcp_header_length(segment) == 0) return drop(Counter::malformed);
  std::uint16_t src_port = load16(segment.data());
  std::uint16_t dst_port = load16(segment.data() + 2);
  std::uint16_t checksum = load16(segment.data() + kTcpChecksumOffset);
  Bytes4 dst4 = config_.prefix.extract(net::IpAddress::v6(ip.dst))->v4_bytes();
  StateResult r = table_.outbound(Proto::kTcp, net::IpAddress::v6(ip.src), src_port, as_u32(dst4), dst_port, clock_(),
                                  true, TcpFlags::from_byte(segment[kTcpFlagsOffset]));
  if (r.error != StateError::kOk) return count_state_error(r.error);
  count_created(r, CreatedBy::kOutbound);
  std::uint16_t pool_port = r.session->binding->pool_port;

  out.resize(kIpv4HeaderLen + segment.size());
  std::uint8_t* p = out.data();
  write_ipv4_header(p, ip.traffic_class, out.size(), static_cast<std::uint8_t>(ip.hop_limit - 1), kProtoTcp, pool_v4_,
                    dst4);
  std::uint8_t* tcp = p + kIpv4HeaderLen;
  std::copy(segment.begin(), segment.end(), tcp);
  store16(tcp, pool_port);
  // As for UDP: addresses and the source port change, so the checksum is
  // adjusted, and a segment damaged before us stays detectably damaged.
  std::uint64_t removed = sum_bytes(ip.src) + sum_bytes(ip.dst) + src_port;
  std::uint64_t added = sum_bytes(pool_v4_) + sum_bytes(dst4) + pool_port;
  store16(tcp + kTcpChecksumOffset, adjust(checksum, removed, added));
  return forward(Counter::translated_6to4);
}

Verdict Translator::echo_6to4(const V6& ip, std::vector<std::uint8_t>& out) {
  const auto& icmp = ip.payload;
  if (!checksum_ok(pseudo_v6(ip.src, ip.dst, kProtoIcmp6, static_cast<std::uint32_t>(icmp.size())) + sum_bytes(icmp)))
    return drop(Counter::bad_checksum);
  // An echo reply from an IPv6 host would answer an IPv4-initiated echo
  // request; those are answered by the gateway and never translated.
  if (icmp[0] != kIcmp6EchoRequest || icmp[1] != 0) return drop(Counter::icmp_untranslatable);
  std::uint16_t id = load16(icmp.data() + 4);
  Bytes4 dst4 = config_.prefix.extract(net::IpAddress::v6(ip.dst))->v4_bytes();
  StateResult r = table_.outbound(Proto::kIcmp, net::IpAddress::v6(ip.src), id, as_u32(dst4), 0, clock_());
  if (r.error != StateError::kOk) return count_state_error(r.error);
  count_created(r, CreatedBy::kOutbound);

  out.resize(kIpv4HeaderLen + icmp.size());
  std::uint8_t* p = out.data();
  write_ipv4_header(p, ip.traffic_class, out.size(), static_cast<std::uint8_t>(ip.hop_limit - 1), kProtoIcmp, pool_v4_,
                    dst4);
  std::uint8_t* m = p + kIpv4HeaderLen;
  std::copy(icmp.begin(), icmp.end(), m);
  m[0] = kIcmp4EchoRequest;
  store16(m + 2, 0);
  store16(m + 4, r.session->binding->pool_port);
  store16(m + 2, finish(sum_bytes({m, icmp.size()})));
  return forward(Counter::translated_6to4);
}

Verdict Translator::error_6to4(const V6& ip, std::vector<std::uint8_t>& out) {
  const auto& icmp = ip.payload;
  if (!checksum_ok(pseudo_v6(ip.src, ip.dst, kProtoIcmp6, static_cast<std::uint32_t>(icmp.size())) + sum_bytes(icmp)))
    return drop(Counter::bad_checksum);
  auto mapped = map_icmp6_error(icmp[0], icmp[1], load32(icmp.data() + 4), config_.mtu);
  if (!mapped) return drop(Counter::icmp_untranslatable);

  // The embedded packet is one we translated from IPv4: from a remote
  // (inside the prefix) to an IPv6 host of a binding.
  V6 inner;
  if (parse_ipv6(icmp.subspan(kIcmpHeaderLen), Completeness::kEmbedded, inner) != ParseStatus::kOk)
    return drop(Counter::malformed);
  if (inner.fragment || inner.payload.size() < 8) return drop(Counter::icmp_untranslatable);
  auto remote = config_.prefix.extract(net::IpAddress::v6(inner.src));
  if (!remote) return drop(Counter::icmp_error_no_session);
  Bytes4 remote4 = remote->v4_bytes();
  auto host = net::IpAddress::v6(inner.dst);
  const std::uint8_t* t = inner.payload.data();

  Proto proto;
  std::uint8_t inner_proto;
  std::uint16_t host_port;    // the IPv6 host's port or identifier
  std::uint16_t remote_port;  // 0 for ICMP
  if (inner.next_header == kProtoUdp || inner.next_header == kProtoTcp) {
    proto = inner.next_header == kProtoUdp ? Proto::kUdp : Proto::kTcp;
    inner_proto = inner.next_header;
    remote_port = load16(t);
    host_port = load16(t + 2);
  } else if (inner.next_header == kProtoIcmp6 && t[0] == kIcmp6EchoReply) {
    proto = Proto::kIcmp;
    inner_proto = kProtoIcmp;
    remote_port = 0;
    host_port = load16(t + 4);
  } else {
    return drop(Counter::icmp_untranslatable);
  }
  Binding* b = table_.find_binding_v6(proto, host, host_port);
  if (!b || !table_.find_session(proto, b->pool_port, as_u32(remote4), remote_port))
    return drop(Counter::icmp_error_no_session);

  std::size_t inner_data =
      std::min(inner.payload.size(), kMaxIcmp4Error - kIpv4HeaderLen - kIcmpHeaderLen - kIpv4HeaderLen);
  Bytes4 outer_dst = config_.prefix.extract(net::IpAddress::v6(ip.dst))->v4_bytes();
  out.resize(kIpv4HeaderLen + kIcmpHeaderLen + kIpv4HeaderLen + inner_data);
  std::uint8_t* p = out.data();
  // Whoever sent the error on the IPv6 side (the host or a router), IPv4
  // sees it from the pool address: RFC 6146 3.5.
  write_ipv4_header(p, ip.traffic_class, out.size(), static_cast<std::uint8_t>(ip.hop_limit - 1), kProtoIcmp, pool_v4_,
                    outer_dst);
  std::uint8_t* m = p + kIpv4HeaderLen;
  m[0] = mapped->type;
  m[1] = mapped->code;
  store16(m + 2, 0);
  store32(m + 4, mapped->rest);
  // The embedded header describes the original datagram, so its lengths are
  // the original's, not what survived truncation.
  std::uint8_t* ih = m + kIcmpHeaderLen;
  ih[0] = 0x45;
  ih[1] = inner.traffic_class;
  store16(ih + 2, static_cast<std::uint16_t>(kIpv4HeaderLen + inner.upper_length));
  store32(ih + 4, 0);
  ih[8] = inner.hop_limit;
  ih[9] = inner_proto;
  store16(ih + 10, 0);
  std::copy(remote4.begin(), remote4.end(), ih + 12);
  std::copy(pool_v4_.begin(), pool_v4_.end(), ih + 16);
  store16(ih + 10, finish(sum_bytes({ih, kIpv4HeaderLen})));
  std::uint8_t* it = ih + kIpv4HeaderLen;
  std::copy_n(inner.payload.begin(), inner_data, it);
  if (proto == Proto::kUdp) {
    store16(it + 2, b->pool_port);
    std::uint16_t c = load16(it + 6);
    if (c != 0) {
      std::uint64_t removed = sum_bytes(inner.src) + sum_bytes(inner.dst) + host_port;
      std::uint64_t added = sum_bytes(remote4) + sum_bytes(pool_v4_) + b->pool_port;
      store16(it + 6, udp_wire_checksum(adjust(c, removed, added)));
    }
  } else if (proto == Proto::kTcp) {
    // Hosts match the error to a connection by addresses and ports; the
    // checksum is adjusted when the quote reaches it.
    store16(it + 2, b->pool_port);
    if (inner_data >= kTcpChecksumOffset + 2) {
      std::uint64_t removed = sum_bytes(inner.src) + sum_bytes(inner.dst) + host_port;
      std::uint64_t added = sum_bytes(remote4) + sum_bytes(pool_v4_) + b->pool_port;
      store16(it + kTcpChecksumOffset, adjust(load16(it + kTcpChecksumOffset), removed, added));
    }
  } else {
    // ICMPv6 checksums cover a pseudo-header, ICMPv4 ones do not.
    std::uint64_t removed = pseudo_v6(inner.src, inner.dst, kProtoIcmp6, inner.upper_length) + load16(it) + host_port;
    it[0] = kIcmp4EchoReply;
    store16(it + 4, b->pool_port);
    std::uint64_t added = load16(it) + b->pool_port;
    store16(it + 2, adjust(load16(it + 2), removed, added));
  }
  store16(m + 2, finish(sum_bytes({m, out.size() - kIpv4HeaderLen})));
  return forward(Counter::translated_6to4);
}

// ---------------------------------------------------------------------------
// IPv4 -> IPv6

Verdict Translator::from_ipv4(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  V4 ip;
  switch (parse_ipv4(in, Completeness::kComplete, ip)) {
    case ParseStatus::kOk: break;
    case ParseStatus::kBadChecksum: return drop(Counter::bad_checksum);
    case ParseStatus::kMalformed: return drop(Counter::malformed);
  }
  if (ip.dst != pool_v4_) return drop(Counter::not_pool);
  if (!v4_unicast(ip.src) || ip.src == pool_v4_) return drop(Counter::bad_source);
  if (ip.is_fragment()) return reassemble_ipv4(ip, out);
  bool is_icmp = ip.proto == kProtoIcmp && ip.payload.size() >= kIcmpHeaderLen;
  // The pool address is the gateway's: it answers pings itself (nothing is
  // configured on a host interface to do it).
  if (is_icmp && ip.payload[0] == kIcmp4EchoRequest) return echo4_reply(ip, out);
  if (ip.ttl <= 1) {
    if (is_icmp && is_icmp4_error(ip.payload[0])) return drop(Counter::hop_limit_exceeded);
    return icmp4_error_reply(ip, in, kIcmp4TimeExceeded, 0, 0, Counter::time_exceeded_sent, out);
  }
  switch (ip.proto) {
    case kProtoUdp: return udp_4to6(ip, in, out);
    case kProtoTcp: return tcp_4to6(ip, in, out);
    case kProtoIcmp:
      if (ip.payload.size() < kIcmpHeaderLen) return drop(Counter::malformed);
      if (!checksum_ok(sum_bytes(ip.payload))) return drop(Counter::bad_checksum);
      if (ip.payload[0] == kIcmp4EchoReply) {
        std::size_t out_size = kIpv6HeaderLen + ip.payload.size();
        if (auto v = check_size_4to6(ip, in, out_size, out)) return *v;
        return echo_4to6(ip, out);
      }
      if (is_icmp4_error(ip.payload[0])) return error_4to6(ip, out);
      return drop(Counter::icmp_untranslatable);
    default: return drop(Counter::unsupported_protocol);
  }
}

std::optional<Verdict> Translator::check_size_4to6(const V4& ip, std::span<const std::uint8_t> in, std::size_t out_size,
                                                   std::vector<std::uint8_t>& out) {
  // RFC 7915 4: without DF, anything over 1280 bytes of IPv6 leaves in
  // fragments of at most 1280 (the IPv6 path MTU is unknown); with DF the
  // sender learns the MTU that fits after the header grows by 20.
  const std::size_t largest = largest_packet(out_size, ip.proto, ip.payload, kIpv6HeaderLen);
  if (!ip.df) {
    std::size_t limit = std::min<std::size_t>(config_.mtu, kIpv6MinMtu);
    // A TCP super-packet is cut into smaller segments instead.
    if (largest > limit) (offload_in_.tcp_segment != 0 ? segment_limit_ : fragment_to_) = limit;
    return std::nullopt;
  }
  if (largest <= config_.mtu) return std::nullopt;
  return icmp4_error_reply(ip, in, kIcmp4DestUnreachable, kIcmp4FragNeededCode, config_.mtu - 20, Counter::too_big_sent,
                           out);
}

Verdict Translator::udp_4to6(const V4& ip, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  if (ip.payload.size() < kUdpHeaderLen) return drop(Counter::malformed);
  std::size_t udp_length = load16(ip.payload.data() + 4);
  if (udp_length < kUdpHeaderLen || udp_length > ip.payload.size()) return drop(Counter::malformed);
  if (bypass_servers_ && load16(ip.payload.data() + 2) == config_.geneve_port && !from_fragments_)
    if (auto v = bypass_4to6(ip, ip.payload.first(udp_length), out)) return *v;
  if (auto v = check_size_4to6(ip, in, kIpv6HeaderLen + udp_length, out)) return *v;
  std::uint16_t src_port = load16(ip.payload.data());
  std::uint16_t dst_port = load16(ip.payload.data() + 2);
  std::uint16_t checksum = load16(ip.payload.data() + 6);
  std::uint32_t remote = as_u32(ip.src);
  TimePoint now = clock_();

  Session* session = nullptr;
  if (Binding* b = table_.find_binding_pool(Proto::kUdp, dst_port)) {
    session = table_.find_session(Proto::kUdp, dst_port, remote, src_port);
    if (session) {
      table_.touch(*session, Direction::kInbound, now);
    } else if (table_.remote_address_known(Proto::kUdp, dst_port, remote)) {
      // Address-dependent filtering: the host has talked to this address.
      StateResult r = table_.add_inbound_session(*b, remote, src_port, now);
      if (r.error != StateError::kOk) return count_state_error(r.error);
      count_created(r, CreatedBy::kOutbound);
      session = r.session;
    }
  }
  bool by_extension = false;
  if (!session) {
    if (dst_port != config_.geneve_port || !extension_enabled()) return drop(Counter::no_session);
    Verdict v = try_extension(ip, ip.payload.first(udp_length), session);
    if (!session) return v;
    by_extension = true;
  }
  const Binding& b = *session->binding;
  Bytes16 src6 = config_.prefix.embed(net::IpAddress::v4(ip.src)).bytes();
  const Bytes16& dst6 = b.v6_address.bytes();

  out.resize(kIpv6HeaderLen + udp_length);
  std::uint8_t* p = out.data();
  write_ipv6_header(p, ip.tos, udp_length, kProtoUdp, static_cast<std::uint8_t>(ip.ttl - 1), src6, dst6);
  std::uint8_t* udp = p + kIpv6HeaderLen;
  std::copy_n(ip.payload.begin(), udp_length, udp);
  store16(udp + 2, b.v6_port);
  if (checksum == 0) {
    // IPv4 allows "no checksum", IPv6 does not: compute it over the whole
    // datagram (RFC 7915 4.5 lets stateless translators drop instead).
    store16(udp + 6, 0);
    std::uint64_t sum =
        pseudo_v6(src6, dst6, kProtoUdp, static_cast<std::uint32_t>(udp_length)) + sum_bytes({udp, udp_length});
    store16(udp + 6, udp_wire_checksum(finish(sum)));
  } else {
    std::uint64_t removed = sum_bytes(ip.src) + sum_bytes(pool_v4_) + dst_port;
    std::uint64_t added = sum_bytes(src6) + sum_bytes(dst6) + b.v6_port;
    store16(udp + 6, udp_wire_checksum(adjust(checksum, removed, added)));
  }
  return forward(by_extension ? Counter::extension_delivered : Counter::translated_4to6);
}

Verdict Translator::tcp_4to6(const V4& ip, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  const auto& segment = ip.payload;
  if (tcp_header_length(segment) == 0) return drop(Counter::malformed);
  if (auto v = check_size_4to6(ip, in, kIpv6HeaderLen + segment.size(), out)) return *v;
  std::uint16_t src_port = load16(segment.data());
  std::uint16_t dst_port = load16(segment.data() + 2);
  std::uint16_t checksum = load16(segment.data() + kTcpChecksumOffset);
  TcpFlags flags = TcpFlags::from_byte(segment[kTcpFlagsOffset]);
  std::uint32_t remote = as_u32(ip.src);
  TimePoint now = clock_();

  Session* session = nullptr;
  if (Binding* b = table_.find_binding_pool(Proto::kTcp, dst_port)) {
    session = table_.find_session(Proto::kTcp, dst_port, remote, src_port);
    if (session) {
      table_.touch(*session, Direction::kInbound, now, flags);
    } else if (flags.syn && table_.remote_address_known(Proto::kTcp, dst_port, remote)) {
      // Simultaneous open from a remote the host already talks to: RFC 6146
      // would hold the SYN until the host's own SYN; address-dependent
      // filtering already admits this remote, so it is passed on, and the
      // session lives 6 s unless the host answers (V4 INIT).
      StateResult r = table_.add_inbound_session(*b, remote, src_port, now, flags);
      if (r.error != StateError::kOk) return count_state_error(r.error);
      count_created(r, CreatedBy::kOutbound);
      session = r.session;
    }
  }
  // No IPv4-initiated connections: nothing listens behind a NAT64 unless
  // the host opened the way (RFC 6146 leaves the ICMP error optional).
  if (!session) return drop(Counter::no_session);
  const Binding& b = *session->binding;
  Bytes16 src6 = config_.prefix.embed(net::IpAddress::v4(ip.src)).bytes();
  const Bytes16& dst6 = b.v6_address.bytes();

  out.resize(kIpv6HeaderLen + segment.size());
  std::uint8_t* p = out.data();
  write_ipv6_header(p, ip.tos, segment.size(), kProtoTcp, static_cast<std::uint8_t>(ip.ttl - 1), src6, dst6);
  std::uint8_t* tcp = p + kIpv6HeaderLen;
  std::copy(segment.begin(), segment.end(), tcp);
  store16(tcp + 2, b.v6_port);
  std::uint64_t removed = sum_bytes(ip.src) + sum_bytes(pool_v4_) + dst_port;
  std::uint64_t added = sum_bytes(src6) + sum_bytes(dst6) + b.v6_port;
  store16(tcp + kTcpChecksumOffset, adjust(checksum, removed, added));
  return forward(Counter::translated_4to6);
}

// ---------------------------------------------------------------------------
// Offloads

std::size_t Translator::largest_packet(std::size_t out_size, std::uint8_t proto, std::span<const std::uint8_t> l4,
                                       std::size_t out_ip_header) const {
  if (offload_in_.tcp_segment == 0 || proto != kProtoTcp) return out_size;
  std::size_t header = tcp_header_length(l4);
  if (header == 0) return out_size;  // malformed: the translation refuses it
  return std::min(out_size, out_ip_header + header + offload_in_.tcp_segment);
}

void Translator::finish_offload(std::vector<std::uint8_t>& out, Counter fate) {
  // Only translations of TCP and UDP keep the input's partial checksum;
  // what the gateway originates (ICMP errors, echo replies) is complete.
  if (fate != Counter::translated_6to4 && fate != Counter::translated_4to6 && fate != Counter::extension_delivered)
    return;
  const bool v6 = (out[0] >> 4) == 6;
  const std::size_t l4 = v6 ? kIpv6HeaderLen : kIpv4HeaderLen;  // the headers we build have no options
  const std::uint8_t proto = v6 ? out[6] : out[9];
  if ((proto != kProtoTcp && proto != kProtoUdp) || out.size() < l4 + kUdpHeaderLen) return;
  const std::size_t field = proto == kProtoTcp ? kTcpChecksumOffset : 6;
  if (out.size() < l4 + field + 2) return;
  const auto length = static_cast<std::uint32_t>(out.size() - l4);
  std::uint64_t pseudo = 0;
  if (v6) {
    std::array<std::uint8_t, 16> src{};
    std::array<std::uint8_t, 16> dst{};
    std::copy_n(out.begin() + 8, 16, src.begin());
    std::copy_n(out.begin() + 24, 16, dst.begin());
    pseudo = pseudo_v6(src, dst, proto, length);
  } else {
    std::array<std::uint8_t, 4> src{};
    std::array<std::uint8_t, 4> dst{};
    std::copy_n(out.begin() + 12, 4, src.begin());
    std::copy_n(out.begin() + 16, 4, dst.begin());
    pseudo = pseudo_v4(src, dst, proto, length);
  }
  std::uint8_t* check = out.data() + l4 + field;
  if (fragment_to_ != 0) {
    store16(check, 0);
    std::uint16_t sum = finish(pseudo + sum_bytes({out.data() + l4, length}));
    store16(check, proto == kProtoUdp && sum == 0 ? 0xffff : sum);
    return;
  }
  store16(check, fold(pseudo));
  offload_out_.partial = true;
  offload_out_.l4_offset = static_cast<std::uint16_t>(l4);
  offload_out_.checksum_field = static_cast<std::uint16_t>(field);
  if (offload_in_.tcp_segment != 0 && proto == kProtoTcp) {
    std::size_t headers = l4 + tcp_header_length({out.data() + l4, length});
    offload_out_.headers = static_cast<std::uint16_t>(headers);
    offload_out_.ecn = offload_in_.ecn;
    std::size_t room = segment_limit_ > headers ? segment_limit_ - headers : 8;
    offload_out_.tcp_segment = static_cast<std::uint16_t>(std::min<std::size_t>(offload_in_.tcp_segment, room));
    counters_.add(Counter::super_packets_translated);
    // The kernel numbers the segments from our Identification on: keep the
    // next packet's clear of them (RFC 6864 asks uniqueness only of
    // fragmentable packets, but it costs nothing).
    if (!v6) {
      std::size_t payload = length - (headers - l4);
      next_ip_id_ = static_cast<std::uint16_t>(
          next_ip_id_ + (payload + offload_out_.tcp_segment - 1) / offload_out_.tcp_segment - (payload > 0 ? 1 : 0));
    }
  }
}

// ---------------------------------------------------------------------------
// Fragments

Verdict Translator::reassembly_verdict(ReassemblyResult r) {
  switch (r) {
    case ReassemblyResult::kHeld: return drop(Counter::fragment_held);
    case ReassemblyResult::kOverlap: return drop(Counter::fragment_overlap);
    case ReassemblyResult::kTooBig: return drop(Counter::fragment_invalid);
    case ReassemblyResult::kFull: return drop(Counter::fragment_buffer_full);
    case ReassemblyResult::kComplete: break;
  }
  return drop(Counter::malformed);  // unreachable: callers pass the others
}

Verdict Translator::reassemble_ipv4(const V4& ip, std::vector<std::uint8_t>& out) {
  if (config_.reassembly.max_datagrams == 0) return drop(Counter::fragment);
  FragmentKey key;
  std::copy(ip.src.begin(), ip.src.end(), key.src.begin());
  std::copy(ip.dst.begin(), ip.dst.end(), key.dst.begin());
  key.id = load16(ip.header.data() + 4);
  key.proto = ip.proto;
  key.version = 4;
  std::vector<std::uint8_t> header;
  std::vector<std::uint8_t> payload;
  ReassemblyResult r = reassembler_.add(key, std::size_t{ip.fragment_offset} * 8, ip.more_fragments, ip.payload,
                                        ip.header, clock_(), header, payload);
  if (r != ReassemblyResult::kComplete) return reassembly_verdict(r);
  if (header.size() + payload.size() > 65535) return drop(Counter::fragment_invalid);
  // The first fragment's header (options and all) over the whole payload,
  // no longer a fragment.
  whole_ = std::move(header);
  whole_.insert(whole_.end(), payload.begin(), payload.end());
  store16(whole_.data() + 2, static_cast<std::uint16_t>(whole_.size()));
  store16(whole_.data() + 6, 0);
  store16(whole_.data() + 10, 0);
  store16(whole_.data() + 10, finish(sum_bytes({whole_.data(), static_cast<std::size_t>(whole_[0] & 0x0f) * 4})));
  reassembled_size_ = whole_.size();
  return from_ipv4(whole_, out);
}

Verdict Translator::reassemble_ipv6(const V6& ip, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
  // parse_ipv6 stopped at the Fragment header: the payload starts with it.
  if (ip.payload.size() < kFragmentHeaderLen) return drop(Counter::malformed);
  const std::uint8_t* f = ip.payload.data();
  std::uint8_t next = f[0];
  std::size_t offset = load16(f + 2) & 0xfff8u;
  bool more = (load16(f + 2) & 1) != 0;
  auto data = ip.payload.subspan(kFragmentHeaderLen);
  // The datagram's header: the packet's own, now naming the upper layer
  // (the extension headers before the Fragment header are not kept; the
  // translation would drop them anyway).
  std::array<std::uint8_t, kIpv6HeaderLen> first{};
  std::copy_n(in.begin(), kIpv6HeaderLen, first.begin());
  first[6] = next;
  std::vector<std::uint8_t> header;
  std::vector<std::uint8_t> payload;
  if (offset == 0 && !more) {
    // An atomic fragment (RFC 6946): a whole packet.
    payload.assign(data.begin(), data.end());
    header.assign(first.begin(), first.end());
  } else {
    if (config_.reassembly.max_datagrams == 0) return drop(Counter::fragment);
    FragmentKey key;
    key.src = ip.src;
    key.dst = ip.dst;
    key.id = load32(f + 4);
    key.version = 6;
    ReassemblyResult r = reassembler_.add(key, offset, more, data, first, clock_(), header, payload);
    if (r != ReassemblyResult::kComplete) return reassembly_verdict(r);
  }
  whole_ = std::move(header);
  whole_.insert(whole_.end(), payload.begin(), payload.end());
  store16(whole_.data() + 4, static_cast<std::uint16_t>(payload.size()));
  reassembled_size_ = whole_.size();
  from_fragments_ = true;
  return from_ipv6(whole_, out);
}

bool Translator::route_allowed(const net::IpAddress& v6) const {
  // Never into the NAT64 prefix (that would loop back through us) and only
  // to unicast addresses, whatever the allow list says.
  if (!v6_unicast(v6.bytes()) || config_.prefix.contains(v6)) return false;
  return std::any_of(config_.allow.begin(), config_.allow.end(),
                     [&](const net::IpPrefix& p) { return p.contains(v6); });
}

Verdict Translator::try_extension(const V4& ip, std::span<const std::uint8_t> udp, Session*& session) {
  geneve::Packet g;
  if (geneve::parse(udp.subspan(kUdpHeaderLen), config_.option_id, g) != geneve::ParseError::kOk)
    return drop(Counter::geneve_invalid);
  switch (g.route_state) {
    case geneve::RouteState::kAbsent: return drop(Counter::no_session);
    case geneve::RouteState::kMalformed: return drop(Counter::route_malformed);
    case geneve::RouteState::kDuplicate: return drop(Counter::route_duplicate);
    case geneve::RouteState::kPresent: break;
  }
  if (g.route.port == 0) return drop(Counter::route_malformed);
  auto target = net::IpAddress::v6(g.route.address);
  if (!route_allowed(target)) return drop(Counter::route_not_allowed);
  TimePoint now = clock_();
  // Only packets that would create state spend tokens.
  if (!rate_limiter_.allow(as_u32(ip.src), now)) return drop(Counter::rate_limited);
  StateResult r = table_.extension(target, g.route.port, config_.geneve_port, as_u32(ip.src), load16(udp.data()), now);
  if (r.error != StateError::kOk) return count_state_error(r.error);
  count_created(r, CreatedBy::kExtension);
  session = r.session;
  if (r.binding_created && extension_hook_) extension_hook_(*r.session->binding, *r.session);
  return forward(Counter::extension_delivered);
}

Verdict Translator::echo_4to6(const V4& ip, std::vector<std::uint8_t>& out) {
  const auto& icmp = ip.payload;
  if (icmp[1] != 0) return drop(Counter::icmp_untranslatable);
  std::uint16_t pool_id = load16(icmp.data() + 4);
  Session* s = table_.find_session(Proto::kIcmp, pool_id, as_u32(ip.src), 0);
  if (!s) return drop(Counter::no_session);
  table_.touch(*s, Direction::kInbound, clock_());
  const Binding& b = *s->binding;
  Bytes16 src6 = config_.prefix.embed(net::IpAddress::v4(ip.src)).bytes();
  const Bytes16& dst6 = b.v6_address.bytes();

  out.resize(kIpv6HeaderLen + icmp.size());
  std::uint8_t* p = out.data();
  write_ipv6_header(p, ip.tos, icmp.size(), kProtoIcmp6, static_cast<std::uint8_t>(ip.ttl - 1), src6, dst6);
  std::uint8_t* m = p + kIpv6HeaderLen;
  std::copy(icmp.begin(), icmp.end(), m);
  m[0] = kIcmp6EchoReply;
  store16(m + 2, 0);
  store16(m + 4, b.v6_port);
  store16(m + 2, finish(pseudo_v6(src6, dst6, kProtoIcmp6, static_cast<std::uint32_t>(icmp.size())) +
                        sum_bytes({m, icmp.size()})));
  return forward(Counter::translated_4to6);
}

Verdict Translator::error_4to6(const V4& ip, std::vector<std::uint8_t>& out) {
  const auto& icmp = ip.payload;
  // The embedded packet is one we sent: from the pool address to a remote.
  V4 inner;
  if (parse_ipv4(icmp.subspan(kIcmpHeaderLen), Completeness::kEmbedded, inner) != ParseStatus::kOk)
    return drop(Counter::malformed);
  if (bypass_servers_ && bypass_revoke(ip, inner)) return drop(Counter::bypass_revoked);
  if (inner.fragment_offset != 0 || inner.payload.size() < 8) return drop(Counter::icmp_untranslatable);
  auto mapped = map_icmp4_error(icmp[0], icmp[1], load32(icmp.data() + 4), inner.total_length, config_.mtu);
  if (!mapped) return drop(Counter::icmp_untranslatable);
  if (inner.src != pool_v4_) return drop(Counter::icmp_error_no_session);
  const std::uint8_t* t = inner.payload.data();

  Proto proto;
  std::uint8_t inner_proto;
  std::uint16_t pool_port;
  std::uint16_t remote_port;
  if (inner.proto == kProtoUdp || inner.proto == kProtoTcp) {
    proto = inner.proto == kProtoUdp ? Proto::kUdp : Proto::kTcp;
    inner_proto = inner.proto;
    pool_port = load16(t);
    remote_port = load16(t + 2);
  } else if (inner.proto == kProtoIcmp && t[0] == kIcmp4EchoRequest) {
    proto = Proto::kIcmp;
    inner_proto = kProtoIcmp6;
    pool_port = load16(t + 4);
    remote_port = 0;
  } else {
    return drop(Counter::icmp_untranslatable);
  }
  Session* s = table_.find_session(proto, pool_port, as_u32(inner.dst), remote_port);
  if (!s) return drop(Counter::icmp_error_no_session);
  const Binding& b = *s->binding;

  // Whoever reported the error (the remote or a router) appears inside the
  // prefix, so traceroute6 through the gateway shows the IPv4 hops.
  Bytes16 outer_src = config_.prefix.embed(net::IpAddress::v4(ip.src)).bytes();
  const Bytes16& host = b.v6_address.bytes();
  Bytes16 remote6 = config_.prefix.embed(net::IpAddress::v4(inner.dst)).bytes();
  std::size_t inner_data =
      std::min(inner.payload.size(), kMaxIcmp6Error - kIpv6HeaderLen - kIcmpHeaderLen - kIpv6HeaderLen);
  std::size_t icmp_len = kIcmpHeaderLen + kIpv6HeaderLen + inner_data;
  out.resize(kIpv6HeaderLen + icmp_len);
  std::uint8_t* p = out.data();
  write_ipv6_header(p, ip.tos, icmp_len, kProtoIcmp6, static_cast<std::uint8_t>(ip.ttl - 1), outer_src, host);
  std::uint8_t* m = p + kIpv6HeaderLen;
  m[0] = mapped->type;
  m[1] = mapped->code;
  store16(m + 2, 0);
  store32(m + 4, mapped->rest);
  std::uint8_t* ih = m + kIcmpHeaderLen;
  auto upper_length = static_cast<std::uint32_t>(inner.total_length - inner.header.size());
  write_ipv6_header(ih, inner.tos, upper_length, inner_proto, inner.ttl, host, remote6);
  std::uint8_t* it = ih + kIpv6HeaderLen;
  std::copy_n(inner.payload.begin(), inner_data, it);
  if (proto == Proto::kUdp) {
    store16(it, b.v6_port);
    // A zero checksum stays zero: we cannot compute one over truncated data,
    // and hosts match errors to sockets by addresses and ports.
    std::uint16_t c = load16(it + 6);
    if (c != 0) {
      std::uint64_t removed = sum_bytes(pool_v4_) + sum_bytes(inner.dst) + pool_port;
      std::uint64_t added = sum_bytes(host) + sum_bytes(remote6) + b.v6_port;
      store16(it + 6, udp_wire_checksum(adjust(c, removed, added)));
    }
  } else if (proto == Proto::kTcp) {
    store16(it, b.v6_port);
    if (inner_data >= kTcpChecksumOffset + 2) {
      std::uint64_t removed = sum_bytes(pool_v4_) + sum_bytes(inner.dst) + pool_port;
      std::uint64_t added = sum_bytes(host) + sum_bytes(remote6) + b.v6_port;
      store16(it + kTcpChecksumOffset, adjust(load16(it + kTcpChecksumOffset), removed, added));
    }
  } else {
    std::uint64_t removed = load16(it) + pool_port;
    it[0] = kIcmp6EchoRequest;
    store16(it + 4, b.v6_port);
    std::uint64_t added = load16(it) + b.v6_port + pseudo_v6(host, remote6, kProtoIcmp6, upper_length);
    store16(it + 2, adjust(load16(it + 2), removed, added));
  }
  store16(m + 2, finish(pseudo_v6(outer_src, host, kProtoIcmp6, static_cast<std::uint32_t>(icmp_len)) +
                        sum_bytes({m, icmp_len})));
  return forward(Counter::translated_4to6);
}

// ---------------------------------------------------------------------------
// State bookkeeping

Verdict Translator::count_state_error(StateError e) {
  switch (e) {
    case StateError::kTableFull: return drop(Counter::table_full);
    case StateError::kPortsExhausted: return drop(Counter::ports_exhausted);
    case StateError::kBindingConflict: return drop(Counter::binding_conflict);
    case StateError::kNotSyn: return drop(Counter::tcp_not_syn);
    case StateError::kOk: break;
  }
  return drop(Counter::malformed);  // unreachable: callers pass errors only
}

void Translator::count_created(const StateResult& r, CreatedBy by) {
  if (r.binding_created)
    counters_.add(by == CreatedBy::kExtension ? Counter::bindings_created_extension : Counter::bindings_created);
  if (r.session_created) counters_.add(Counter::sessions_created);
}

// ---------------------------------------------------------------------------
// Packets the gateway originates

Verdict Translator::icmp6_error_reply(const V6& ip, std::span<const std::uint8_t> in, std::uint8_t type,
                                      std::uint8_t code, std::uint32_t rest, Counter counter,
                                      std::vector<std::uint8_t>& out) {
  std::size_t quoted = std::min(in.size(), kMaxIcmp6Error - kIpv6HeaderLen - kIcmpHeaderLen);
  std::size_t icmp_len = kIcmpHeaderLen + quoted;
  out.resize(kIpv6HeaderLen + icmp_len);
  std::uint8_t* p = out.data();
  write_ipv6_header(p, 0, icmp_len, kProtoIcmp6, kOriginatedHopLimit, own_v6_.bytes(), ip.src);
  std::uint8_t* m = p + kIpv6HeaderLen;
  m[0] = type;
  m[1] = code;
  store16(m + 2, 0);
  store32(m + 4, rest);
  std::copy_n(in.begin(), quoted, m + kIcmpHeaderLen);
  store16(m + 2, finish(pseudo_v6(own_v6_.bytes(), ip.src, kProtoIcmp6, static_cast<std::uint32_t>(icmp_len)) +
                        sum_bytes({m, icmp_len})));
  return forward(counter);
}

Verdict Translator::icmp4_error_reply(const V4& ip, std::span<const std::uint8_t> in, std::uint8_t type,
                                      std::uint8_t code, std::uint32_t rest, Counter counter,
                                      std::vector<std::uint8_t>& out) {
  std::size_t quoted = std::min<std::size_t>(ip.total_length, kMaxIcmp4Error - kIpv4HeaderLen - kIcmpHeaderLen);
  out.resize(kIpv4HeaderLen + kIcmpHeaderLen + quoted);
  std::uint8_t* p = out.data();
  write_ipv4_header(p, 0, out.size(), kOriginatedHopLimit, kProtoIcmp, pool_v4_, ip.src);
  std::uint8_t* m = p + kIpv4HeaderLen;
  m[0] = type;
  m[1] = code;
  store16(m + 2, 0);
  store32(m + 4, rest);
  std::copy_n(in.begin(), quoted, m + kIcmpHeaderLen);
  store16(m + 2, finish(sum_bytes({m, kIcmpHeaderLen + quoted})));
  return forward(counter);
}

Verdict Translator::echo6_reply(const V6& ip, std::vector<std::uint8_t>& out) {
  const auto& icmp = ip.payload;
  if (!checksum_ok(pseudo_v6(ip.src, ip.dst, kProtoIcmp6, static_cast<std::uint32_t>(icmp.size())) + sum_bytes(icmp)))
    return drop(Counter::bad_checksum);
  out.resize(kIpv6HeaderLen + icmp.size());
  std::uint8_t* p = out.data();
  write_ipv6_header(p, ip.traffic_class, icmp.size(), kProtoIcmp6, kOriginatedHopLimit, ip.dst, ip.src);
  std::uint8_t* m = p + kIpv6HeaderLen;
  std::copy(icmp.begin(), icmp.end(), m);
  m[0] = kIcmp6EchoReply;
  store16(m + 2, 0);
  store16(m + 2, finish(pseudo_v6(ip.dst, ip.src, kProtoIcmp6, static_cast<std::uint32_t>(icmp.size())) +
                        sum_bytes({m, icmp.size()})));
  return forward(Counter::echo_answered);
}

Verdict Translator::echo4_reply(const V4& ip, std::vector<std::uint8_t>& out) {
  const auto& icmp = ip.payload;
  if (!checksum_ok(sum_bytes(icmp))) return drop(Counter::bad_checksum);
  out.resize(kIpv4HeaderLen + icmp.size());
  std::uint8_t* p = out.data();
  write_ipv4_header(p, ip.tos, out.size(), kOriginatedHopLimit, kProtoIcmp, pool_v4_, ip.src);
  std::uint8_t* m = p + kIpv4HeaderLen;
  std::copy(icmp.begin(), icmp.end(), m);
  m[0] = kIcmp4EchoReply;
  store16(m + 2, 0);
  store16(m + 2, finish(sum_bytes({m, icmp.size()})));
  return forward(Counter::echo_answered);
}

}  // namespace gn::nat64
