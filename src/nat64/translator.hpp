#pragma once
// The stateful NAT64 (RFC 6146 + RFC 7915) for TCP, UDP and ICMP, with the GENEVE
// routing-option extension (docs/protocol.md 3.3). Pure: packets in, packets
// out, time from an injected clock; the TUN device and the event loop live
// in gateway.cpp.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "bypass/derive.hpp"
#include "geneve/codec.hpp"
#include "nat64/bypass_servers.hpp"
#include "nat64/counters.hpp"
#include "nat64/fragmenter.hpp"
#include "nat64/packet.hpp"
#include "nat64/rate_limit.hpp"
#include "nat64/reassembly.hpp"
#include "nat64/state.hpp"
#include "nat64/usage.hpp"
#include "net/address.hpp"
#include "util/hash.hpp"

namespace gn::nat64 {

// The NAT64 bypass (docs/protocol.md 8): off unless `enabled`. The gateway's
// bypass address G is the pool address.
struct BypassConfig {
  bool enabled = false;
  bypass::Secret persistent{};  // VNIs: from --bypass-secret
  BypassLimits limits;
  std::chrono::seconds mac_rotation{86400};
  std::string message;  // the offers' log message
  // Where the transient secrets (gateway MACs) come from: random, or a
  // fixed one in tests and the fuzzer, which must be able to answer.
  bypass::Secret (*transient)() = bypass::random_secret;
};

struct TranslatorConfig {
  net::Nat64Prefix prefix;
  net::IpAddress pool;  // IPv4
  std::uint16_t geneve_port = geneve::kDefaultPort;
  geneve::OptionId option_id;
  // IPv6 prefixes the routing option may name; empty: extension off.
  std::vector<net::IpPrefix> allow;
  double rate = 10;  // routing-option state creations per second per IPv4 source
  double burst = 20;
  std::uint32_t mtu = 1500;  // of the TUN device: both our IPv6 and IPv4 next hop
  std::size_t max_sessions = 65536;
  Timeouts timeouts;
  // Bandwidth per IPv6 /32, bytes per second both ways together (0: no
  // limit), with a burst of a tenth of a second's worth.
  double prefix_rate = 0;
  // Bound on the /32s and /24s the usage accounting tracks (usage.hpp).
  std::size_t max_usage_prefixes = 65536;
  // Fragments are reassembled (reassembly.hpp); max_datagrams 0: dropped.
  ReassemblyLimits reassembly;
  BypassConfig bypass;
};

// How a packet read from a TUN device with offloads (IFF_VNET_HDR) is to be
// taken, and how its translation is to be written (docs/gateway.md,
// "Offloads"). The gateway maps it to and from the virtio-net header; the
// translator never sees that layout.
struct Offload {
  // The TCP or UDP checksum is left to be completed: its field holds the
  // pseudo-header sum (CHECKSUM_PARTIAL, as the kernel keeps local packets).
  bool partial = false;
  // A TCP super-packet, to be cut into segments of this many payload bytes
  // (0: one packet). Always partial.
  std::uint16_t tcp_segment = 0;
  bool ecn = false;          // the segments carry CWR as ECN allows (passed on)
  bool unsupported = false;  // a segmentation the gateway did not ask for: dropped as malformed
  // Output only: where the checksum starts and its field's offset from there,
  // and the length of the IP and TCP headers the segments repeat.
  std::uint16_t l4_offset = 0;
  std::uint16_t checksum_field = 0;
  std::uint16_t headers = 0;
};

enum class Fate : std::uint8_t {
  kForward,  // `out` holds a packet to write to the TUN device
  kDrop,
};

// From process(): a kDrop's counter is the packet's fate, already counted; a
// kForward's is the fate it will have once written, counted by handle().
// From handle(): the fate counted, kDrop with tun_write_failed if the write
// was refused.
struct Verdict {
  Fate fate;
  Counter counter;
};

class Translator {
 public:
  using ClockFn = std::function<TimePoint()>;
  // Called once per binding the routing option creates (the gateway logs it).
  using ExtensionHook = std::function<void(const Binding&, const Session&)>;

  Translator(TranslatorConfig config, ClockFn clock);

  // One packet read from the TUN device, IPv4 or IPv6, to its end: the
  // verdict of process(), and on kForward `write(out)`, which returns
  // whether the TUN device took the packet. Counts exactly one fate (the
  // packet fates add up to the packets read) and returns it. The gateway
  // calls this once per packet read; `write` is its only I/O. `offload`
  // says what the TUN device's header said of the packet; out_offload()
  // then says how to write what `write` is given.
  template <typename WriteFn>
  Verdict handle(std::span<const std::uint8_t> packet, std::vector<std::uint8_t>& out, WriteFn&& write,
                 const Offload& offload = {}) {
    offload_in_ = offload;
    offload_out_ = {};
    Verdict v = offload.unsupported || (offload.tcp_segment != 0 && !offload.partial)
                    ? drop(Counter::malformed)
                    : account(packet, out, process(packet, out));
    // Packets the gateway originates beside this one's fate (a bypass
    // offer), whatever that fate: an offer must go out even for a segment
    // that is dropped (8.7: the first packet after a gateway restart).
    for (const auto& extra : originated_) write(std::span<const std::uint8_t>(extra));
    originated_.clear();
    if (v.fate == Fate::kDrop) return v;  // counted by process() or account()
    if (offload.partial) finish_offload(out, v.counter);
    bool written = true;
    if (fragment_to_ == 0) {
      written = write(std::span<const std::uint8_t>(out));
    } else {
      // Too big for the other side and allowed to be fragmented (RFC 7915):
      // one fate for the packet, the pieces beyond the first as an event.
      if ((out[0] >> 4) == 6)
        fragment_ipv6(out, fragment_to_, next_fragment_id_++, pieces_);
      else
        fragment_ipv4(out, fragment_to_, pieces_);
      for (const auto& piece : pieces_) written = write(std::span<const std::uint8_t>(piece)) && written;
      counters_.add(Counter::fragments_written, pieces_.size() - 1);
    }
    if (!written) v = {Fate::kDrop, Counter::tun_write_failed};
    counters_.add(v.counter);
    return v;
  }

  // The decision alone, without the write. On kForward, `out` holds the
  // translated packet or a reply the gateway originates (ICMP error, echo
  // reply); either way it goes back into the TUN device, and the fate is
  // not counted yet (handle() counts it). Drops are counted here.
  Verdict process(std::span<const std::uint8_t> packet, std::vector<std::uint8_t>& out);

  // Expires sessions and forgets idle rate-limit buckets (call about once a
  // second).
  void on_timer();

  // Usage since the last call, for the periodic log; totals are in
  // usage_v6()/unmapped_v4().
  struct UsageInterval {
    UsageTable::Interval v6;
    UsageTable::Interval unmapped_v4;
  };
  UsageInterval take_usage_interval() { return {usage_v6_.take_interval(), unmapped_v4_.take_interval()}; }
  const UsageTable& usage_v6() const { return usage_v6_; }
  const UsageTable& unmapped_v4() const { return unmapped_v4_; }

  void set_extension_hook(ExtensionHook hook) { extension_hook_ = std::move(hook); }
  // Called when a bypass server is accepted, leaves or is revoked (the
  // gateway logs it): the server, what happened, its tunnel MAC.
  using BypassHook = std::function<void(const Bytes4& server, std::string_view what, const bypass::Mac& mac)>;
  void set_bypass_hook(BypassHook hook) { bypass_hook_ = std::move(hook); }
  bool bypass_enabled() const { return bypass_servers_.has_value(); }
  // Servers that accepted and are live; the VNI of each is bypass_vni().
  std::vector<BypassServers::Accepted> bypass_accepted() const;
  std::uint32_t bypass_vni(const Bytes4& server) const;
  bool extension_enabled() const { return !config_.allow.empty(); }
  // The gateway's own IPv6 address (source of ICMPv6 it originates): the
  // pool address inside the NAT64 prefix.
  const net::IpAddress& ipv6_address() const { return own_v6_; }

  const TranslatorConfig& config() const { return config_; }
  const StateTable& table() const { return table_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  const Reassembler& reassembly() const { return reassembler_; }
  // For the packet handle() last wrote: partial or a TCP super-packet.
  const Offload& out_offload() const { return offload_out_; }
  TimePoint now() const { return clock_(); }

 private:
  using V4 = Ipv4Header;
  using V6 = Ipv6Header;
  // After process(): counts the packet against its IPv6 /32 (the source of
  // an IPv6 packet, the destination of a translated IPv4 one) or, for an
  // IPv4 packet that reaches no IPv6 address, its source /24; and turns a
  // translation over its /32's bandwidth into a counted drop.
  Verdict account(std::span<const std::uint8_t> in, const std::vector<std::uint8_t>& out, Verdict v);
  Verdict from_ipv6(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  // A fragment: held, or its datagram completed and translated whole.
  Verdict reassemble_ipv6(const V6& ip, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  Verdict reassemble_ipv4(const V4& ip, std::vector<std::uint8_t>& out);
  Verdict reassembly_verdict(ReassemblyResult r);
  // The largest packet `out_size` bytes of translation leave as: a TCP
  // super-packet's segments, or the packet itself.
  std::size_t largest_packet(std::size_t out_size, std::uint8_t proto, std::span<const std::uint8_t> l4,
                             std::size_t out_ip_header) const;
  // A partial translation: its checksum field set for the new pseudo-header
  // and offload_out_ filled in, or, when it leaves in fragments, its
  // checksum completed here (a fragment cannot leave it to anyone).
  void finish_offload(std::vector<std::uint8_t>& out, Counter fate);
  Verdict from_ipv4(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  Verdict udp_6to4(const V6& ip, std::vector<std::uint8_t>& out);
  Verdict tcp_6to4(const V6& ip, std::vector<std::uint8_t>& out);
  Verdict echo_6to4(const V6& ip, std::vector<std::uint8_t>& out);
  Verdict error_6to4(const V6& ip, std::vector<std::uint8_t>& out);
  Verdict udp_4to6(const V4& ip, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  Verdict tcp_4to6(const V4& ip, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  Verdict echo_4to6(const V4& ip, std::vector<std::uint8_t>& out);
  Verdict error_4to6(const V4& ip, std::vector<std::uint8_t>& out);
  // The extension: state for an unsolicited datagram to the GENEVE port.
  Verdict try_extension(const V4& ip, std::span<const std::uint8_t> udp, Session*& session);
  // The NAT64 bypass (translator_bypass.cpp). For an IPv6 packet to a
  // mapped server with no session: bypassed, or nullopt to translate it
  // (after queueing an offer when one is due).
  std::optional<Verdict> bypass_6to4(const V6& ip, std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
  // For a datagram from port to port GENEVE: a bypass packet from a server
  // handled, or nullopt if it is not one (ordinary processing goes on).
  std::optional<Verdict> bypass_4to6(const V4& ip, std::span<const std::uint8_t> udp, std::vector<std::uint8_t>& out);
  // For an ICMPv4 unreachable quoting `inner`: true if it was about a
  // bypass packet, and the server is forgotten.
  bool bypass_revoke(const V4& ip, const V4& inner);
  bool has_session_6to4(const V6& ip);
  // An IPv4/UDP/GENEVE packet to `server` in `out`: the headers, then room
  // for a frame of `frame_size` bytes, returned for the caller to fill; then
  // finish_encapsulation() sets the UDP checksum over it.
  std::uint8_t* begin_encapsulation(const Bytes4& server, std::span<const std::uint8_t> geneve_header,
                                    std::size_t frame_size, std::vector<std::uint8_t>& out);
  void finish_encapsulation(const Bytes4& server, std::vector<std::uint8_t>& out);
  void queue_offer(const Bytes4& server, const Bytes16& mapped);
  bypass::Mac gateway_mac(const Bytes4& server) const;
  void rotate_bypass_mac(TimePoint now);

  // Too big for the other side: an ICMP error back, or a drop.
  std::optional<Verdict> check_size_6to4(const V6& ip, std::span<const std::uint8_t> in, std::size_t out_size,
                                         std::vector<std::uint8_t>& out);
  std::optional<Verdict> check_size_4to6(const V4& ip, std::span<const std::uint8_t> in, std::size_t out_size,
                                         std::vector<std::uint8_t>& out);
  bool route_allowed(const net::IpAddress& v6) const;
  Verdict count_state_error(StateError e);
  void count_created(const StateResult& r, CreatedBy by);

  // Packets the gateway originates.
  Verdict icmp6_error_reply(const V6& ip, std::span<const std::uint8_t> in, std::uint8_t type, std::uint8_t code,
                            std::uint32_t rest, Counter counter, std::vector<std::uint8_t>& out);
  Verdict icmp4_error_reply(const V4& ip, std::span<const std::uint8_t> in, std::uint8_t type, std::uint8_t code,
                            std::uint32_t rest, Counter counter, std::vector<std::uint8_t>& out);
  Verdict echo6_reply(const V6& ip, std::vector<std::uint8_t>& out);
  Verdict echo4_reply(const V4& ip, std::vector<std::uint8_t>& out);

  void write_ipv4_header(std::uint8_t* p, std::uint8_t tos, std::size_t total_length, std::uint8_t ttl,
                         std::uint8_t proto, const Bytes4& src, const Bytes4& dst);

  // drop() counts its fate; forward() leaves it to handle().
  Verdict drop(Counter c);
  static Verdict forward(Counter c) { return {Fate::kForward, c}; }

  TranslatorConfig config_;
  ClockFn clock_;
  StateTable table_;
  RateLimiter rate_limiter_;
  RateLimiter prefix_limiter_;
  UsageTable usage_v6_;
  UsageTable unmapped_v4_;
  Reassembler reassembler_;
  // Per packet (reset by process()): the datagram reassembled from it, its
  // size for the accounting, whether it came from IPv6 fragments (its IPv4
  // translation then leaves with DF clear) and the size to fragment the
  // output to (0: none).
  std::vector<std::uint8_t> whole_;
  std::size_t reassembled_size_ = 0;
  bool from_fragments_ = false;
  std::size_t fragment_to_ = 0;
  // The largest IP packet a TCP super-packet's segments may become (set by
  // the size checks; a smaller one than the input's makes them resegment).
  std::size_t segment_limit_ = 0;
  Offload offload_in_;
  Offload offload_out_;
  std::vector<std::vector<std::uint8_t>> pieces_;
  // From a random start: RFC 7739 asks that IPv6 fragment IDs not be
  // predictable from the outside.
  std::uint32_t next_fragment_id_ = static_cast<std::uint32_t>(random_seed());
  Counters counters_;
  ExtensionHook extension_hook_;
  BypassHook bypass_hook_;
  std::optional<BypassServers> bypass_servers_;
  // The gateway MAC's transient secret, and the one before it (frames to
  // the previous MAC are taken for one rotation period, 8.3).
  bypass::Secret mac_secret_{};
  bypass::Secret previous_mac_secret_{};
  TimePoint mac_rotated_{};
  std::vector<std::vector<std::uint8_t>> originated_;
  net::IpAddress own_v6_;
  std::array<std::uint8_t, 4> pool_v4_;
  std::uint16_t next_ip_id_ = 1;
};

}  // namespace gn::nat64
