#pragma once
// tc on an external (collect_metadata) GENEVE device: what puts tunnel
// metadata (VNI, peer, our source address, checksum, the NAT64 routing
// option) on every frame the device sends, and what admits only our peer's
// frames on receive. Built from netlink attributes (never iproute2 text);
// builders are pure, tests/unit/netlink_tc_test.cpp checks them.
//
//   clsact qdisc
//   egress  pref 1 matchall -> tunnel_key set (id, src, dst, dst_port, ttl,
//                              csum, geneve option)          pipe
//   ingress pref 1 flower enc_key_id VNI enc_src_ip PEER -> gact ok
//   ingress pref 2 matchall                              -> gact drop
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "net/address.hpp"
#include "netlink/mnl.hpp"

namespace gn::netlink {

struct GeneveOptionBytes {
  std::uint16_t option_class = 0;
  std::uint8_t type = 0;
  std::vector<std::uint8_t> data;  // a multiple of 4 bytes, 4..124
  bool operator==(const GeneveOptionBytes&) const = default;
};

struct TunnelKey {
  std::uint32_t vni = 0;
  net::IpAddress src;  // our outer address
  net::IpAddress dst;  // the peer's (PATH)
  std::uint16_t dst_port = 6081;
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  bool csum = true;
  std::optional<GeneveOptionBytes> option;
};

inline constexpr std::uint16_t kEgressPref = 1;
inline constexpr std::uint16_t kIngressAcceptPref = 1;
inline constexpr std::uint16_t kIngressDropPref = 2;

Message build_add_clsact(int ifindex);
Message build_del_clsact(int ifindex);
Message build_egress_tunnel_key(int ifindex, const TunnelKey& key);
Message build_ingress_accept(int ifindex, std::uint32_t vni, const net::IpAddress& peer);
Message build_ingress_drop(int ifindex);

// A server's filters on its one external device (docs/kernel.md, "The
// server on the kernel"): classification in chain 0 sends a client's
// frames to the client's own chain, where one replaceable filter holds its
// path (tunnel_key + mark), so a path change is one atomic replacement.
// Builders are pure; tests/unit/netlink_tc_test.cpp checks them.
enum class Hook : std::uint8_t { kIngress, kEgress };
struct FilterId {
  int ifindex = 0;
  Hook hook = Hook::kEgress;
  std::uint32_t chain = 0;
  std::uint16_t pref = 0;
  std::uint32_t handle = 0;         // 0: the kernel picks one (u32)
  std::uint16_t protocol = 0x0003;  // EtherType (host order); ETH_P_ALL by default
  bool operator==(const FilterId&) const = default;
};
struct Prefix {
  net::IpAddress address;
  int length = 0;
};
// What a flower filter matches; unset fields match anything. `protocol`
// of the FilterId is the EtherType; src/dst are of its family.
struct FlowerMatch {
  std::optional<std::uint8_t> ip_proto;
  std::optional<std::uint8_t> icmp_type;  // ICMPv6 (with ip_proto 58)
  std::optional<Prefix> src, dst;         // inner IP source / destination
  std::optional<Prefix> arp_sip, arp_tip;
};
struct FilterAction {
  enum class Kind : std::uint8_t { kAccept, kDrop, kGotoChain, kTunnel };
  Kind kind = Kind::kDrop;
  std::uint32_t chain = 0;  // kGotoChain
  TunnelKey key;            // kTunnel: tunnel_key set `key`, then skbedit mark `mark`
  std::uint32_t mark = 0;
  static FilterAction accept() { return {Kind::kAccept, 0, {}, 0}; }
  static FilterAction drop() { return {Kind::kDrop, 0, {}, 0}; }
  static FilterAction goto_chain(std::uint32_t chain) { return {Kind::kGotoChain, chain, {}, 0}; }
  static FilterAction tunnel(const TunnelKey& key, std::uint32_t mark) { return {Kind::kTunnel, 0, key, mark}; }
};
// `tc filter replace` (made, or changed in one step) when `replace`, else
// an exclusive add.
Message build_flower(const FilterId& f, const FlowerMatch& m, const FilterAction& a, bool replace);
// A neighbour solicitation whose target is in `target` (IPv6): u32 at the
// fixed offsets of an ICMPv6 NS without extension headers, since flower has
// no key for the target. Exclusive add; f.handle 0 lets the kernel pick.
Message build_solicitation_target(const FilterId& f, const Prefix& target, const FilterAction& a);
// matchall -> drop: what nothing before it took, counted.
Message build_matchall_drop(const FilterId& f);
Message build_delete_filter(const FilterId& f);
// ingress: flower enc_key_id `vni`, outer source `from` (its port only if
// `source_port`: a learned NAT mapping is an address and a port; direct and
// PATH are addresses) and destination `to` -> goto chain `chain` (the
// client's inner source checks). Replace semantics.
Message build_client_ingress(const FilterId& f, std::uint32_t vni, const net::Endpoint& from, const net::Endpoint& to,
                             std::uint32_t chain, bool source_port);

// The qdisc and filters above on one device; deleting the clsact qdisc on
// destruction removes its filters (and the device's deletion would too).
class TunnelFilters {
 public:
  // Throws KernelUnsupported naming the missing piece (sch_ingress/clsact,
  // cls_matchall, act_tunnel_key, cls_flower, act_gact).
  TunnelFilters(MnlSocket& sock, int ifindex, std::string ifname, const TunnelKey& key);
  TunnelFilters(const TunnelFilters&) = delete;
  TunnelFilters& operator=(const TunnelFilters&) = delete;
  ~TunnelFilters();

 private:
  MnlSocket* sock_;
  int ifindex_;
  std::string ifname_;
};

}  // namespace gn::netlink
