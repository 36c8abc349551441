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

// A server's per-client filters on its one external device (docs/kernel.md,
// "Design ... server and auto mode on the kernel", "The objects"): made
// with `tc filter replace` semantics, so a path change is one atomic
// replacement per filter. Built and unit-tested; not used yet.
struct ClientFilter {
  int ifindex = 0;
  std::uint16_t pref = 0;
  std::uint32_t handle = 0;
};
// Which frames the server sends are a client's.
struct ClientInnerMatch {
  enum class Kind : std::uint8_t {
    kDestination,           // inner IPv6 or IPv4 destination in address/length
    kNeighborSolicitation,  // ICMPv6 type 135 to the solicited-node group of `address`
    kArpTarget,             // ARP whose target IPv4 is in address/length
  };
  Kind kind = Kind::kDestination;
  net::IpAddress address;
  int length = 128;
};
// egress: flower (the match) -> tunnel_key set `key` -> skbedit mark `mark`.
Message build_client_egress(const ClientFilter& f, const ClientInnerMatch& match, const TunnelKey& key,
                            std::uint32_t mark);
// ingress: flower enc_key_id `vni`, outer source `from` and destination `to`
// (addresses and ports, exactly) -> goto chain `chain` (the client's inner
// source checks).
Message build_client_ingress(const ClientFilter& f, std::uint32_t vni, const net::Endpoint& from,
                             const net::Endpoint& to, std::uint32_t chain);

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
