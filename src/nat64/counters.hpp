#pragma once
// The gateway's counters, in two kinds. Packet fates: every packet read from
// the TUN device ends in exactly one of them (written back translated or as
// the gateway's answer, refused by the kernel when written, or dropped for
// one reason), so the fates add up to the packets read. Events: state the
// gateway created or expired, which happens beside packets (or on a timer)
// and is no packet's fate.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gn::nat64 {

#define GN_NAT64_FATES(X)                                                                                         \
  /* written back to the TUN device: translations */                                                              \
  X(translated_6to4, "IPv6 packets translated to IPv4 and written (including ICMP errors)")                       \
  X(translated_4to6, "IPv4 packets translated to IPv6 and written (including ICMP errors), not by the extension") \
  X(extension_delivered, "unsolicited GENEVE datagrams translated and written thanks to the routing option")      \
  /* written back to the TUN device: the NAT64 bypass (docs/protocol.md 8) */                                     \
  X(bypassed_to_server, "IPv6 packets to a bypass server, sent to it inside GENEVE")                              \
  X(bypassed_from_server, "IPv6 packets from a bypass server, taken out of GENEVE and forwarded")                 \
  /* written back to the TUN device: answered by the gateway itself */                                            \
  X(echo_answered, "echo requests to the pool address or the gateway's IPv6 address, answered")                   \
  X(time_exceeded_sent, "packets with hop limit/TTL <= 1, answered with ICMP Time Exceeded")                      \
  X(too_big_sent, "packets too big for the other side, answered with Fragmentation Needed/PTB")                   \
  /* not written: the translation or answer was refused */                                                        \
  X(tun_write_failed, "the kernel refused the translation or answer written to the TUN device")                   \
  /* dropped */                                                                                                   \
  X(malformed, "truncated packet or a length field that does not match the data")                                 \
  X(bad_checksum, "IPv4 header, ICMP or UDP checksum wrong (or IPv6 UDP checksum zero)")                          \
  X(fragment, "fragment not reassembled: reassembly off (--max-fragment-datagrams 0)")                            \
  X(fragment_held, "fragment held for reassembly (its datagram's fate is counted on the one that completes it)")  \
  X(fragment_overlap, "fragment overlapping another of its datagram differently: the datagram is dropped")        \
  X(fragment_invalid, "fragment past 65535 bytes, or lengths that disagree: the datagram is dropped")             \
  X(fragment_buffer_full, "fragment of a new datagram while --max-fragment-datagrams or the byte bound are held") \
  X(unsupported_protocol, "neither TCP, UDP nor ICMP")                                                            \
  X(unsupported_extension_header, "IPv6 routing header with segments left, or an unknown header")                 \
  X(icmp_untranslatable, "ICMP type/code RFC 7915 does not translate, or an error about an error")                \
  X(icmp_error_no_session, "ICMP error whose embedded packet matches no session")                                 \
  X(not_in_prefix, "IPv6 destination outside the NAT64 prefix")                                                   \
  X(not_pool, "IPv4 destination is not the pool address")                                                         \
  X(bad_source, "source address that must not appear (in the prefix, multicast, loopback, ...)")                  \
  X(bad_destination, "embedded IPv4 destination that must not be translated to (multicast, 0/8, ...)")            \
  X(hairpin, "IPv6 host sent to the pool address through the prefix (hairpinning is not supported)")              \
  X(no_session, "inbound IPv4 packet with no session and no address-dependent permission")                        \
  X(tcp_not_syn, "IPv6 TCP segment other than SYN with no session (only a SYN creates TCP state)")                \
  X(table_full, "a new session was needed but --max-sessions are live")                                           \
  X(ports_exhausted, "a new binding was needed but no pool port (ICMP identifier) is free")                       \
  X(geneve_invalid, "unsolicited datagram to the GENEVE port that is not valid GENEVE")                           \
  X(route_malformed, "NAT64 routing option shorter than 5 words, or port 0")                                      \
  X(route_duplicate, "more than one NAT64 routing option")                                                        \
  X(route_not_allowed, "routing option names an address outside every --allow prefix")                            \
  X(rate_limited, "routing option from an IPv4 source over its --rate/--burst")                                   \
  X(prefix_rate_limited, "translation to or from an IPv6 /32 over its --prefix-rate")                             \
  X(binding_conflict, "routing option needs the GENEVE port, held by another IPv6 endpoint")                      \
  X(hop_limit_exceeded, "ICMP error whose hop limit/TTL ran out: dropped, never answered")                        \
  X(bypass_control, "a bypass server's acceptance, keepalive or leave, taken")                                    \
  X(bypass_revoked, "ICMP unreachable about a bypass packet: the server is translated again")                     \
  X(bypass_bad_accept, "neighbour advertisement from a bypass server that is not a valid acceptance")             \
  X(bypass_option_from_server, "bypass packet from a server carrying the bypass option")                          \
  X(bypass_not_ipv6, "bypass packet from a server whose frame is not IPv6")                                       \
  X(bypass_unknown_server, "bypass data from a server that has not accepted (or went quiet)")                     \
  X(bypass_spoofed_source, "bypass data from a server with an IPv6 source other than its own mapped address")     \
  X(bypass_bad_destination, "bypass data from a server to the prefix, multicast or another unroutable address")

#define GN_NAT64_EVENTS(X)                                                                           \
  X(bindings_created, "bindings created by outbound traffic")                                        \
  X(bindings_created_extension, "bindings created by the routing option")                            \
  X(sessions_created, "sessions created")                                                            \
  X(sessions_expired, "sessions removed by their timeout")                                           \
  X(fragments_expired, "datagrams dropped incomplete after --fragment-timeout")                      \
  X(fragments_written, "extra packets written by fragmenting a translation")                         \
  X(super_packets_translated, "TCP super-packets (TSO) translated whole, for the kernel to segment") \
  X(bypass_offers, "bypass offers written to servers")                                               \
  X(bypass_offers_rate_limited, "bypass offers due but refused by --bypass-offer-rate")              \
  X(bypass_servers_full, "bypass offers not made: --bypass-max-servers servers are tracked")         \
  X(bypass_accepted, "servers that accepted a bypass tunnel (or came back)")                         \
  X(bypass_left, "bypass servers that left")

#define GN_NAT64_COUNTERS(X) GN_NAT64_FATES(X) GN_NAT64_EVENTS(X)

// Fates first, then events: a counter is a fate if its index is below
// kFateCount.
enum class Counter : std::uint8_t {
#define GN_NAT64_ENUM(name, help) name,
  GN_NAT64_COUNTERS(GN_NAT64_ENUM)
#undef GN_NAT64_ENUM
      kCount
};

#define GN_NAT64_ONE(name, help) +1
inline constexpr std::size_t kFateCount = 0 GN_NAT64_FATES(GN_NAT64_ONE);
#undef GN_NAT64_ONE
inline constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::kCount);

constexpr bool is_fate(Counter c) {
  return static_cast<std::size_t>(c) < kFateCount;
}

std::string_view counter_name(Counter c);
std::string_view counter_help(Counter c);

class Counters {
 public:
  void add(Counter c, std::uint64_t n = 1) { values_[static_cast<std::size_t>(c)] += n; }
  std::uint64_t get(Counter c) const { return values_[static_cast<std::size_t>(c)]; }
  // The sum of the fate counters: the packets read so far.
  std::uint64_t packets() const;

 private:
  std::array<std::uint64_t, kCounterCount> values_{};
};

}  // namespace gn::nat64
