#include "netlink/tc.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_skbedit.h>
#include <linux/tc_act/tc_tunnel_key.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "util/log.hpp"

namespace gn::netlink {
namespace {

tcmsg* put_tcmsg(MessageBuffer& b, std::uint16_t type, std::uint16_t flags, int ifindex, std::uint32_t parent,
                 std::uint32_t handle, std::uint32_t info) {
  nlmsghdr* nlh = b.put_header(type, flags);
  auto* tcm = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(tcmsg)));
  tcm->tcm_family = AF_UNSPEC;
  tcm->tcm_ifindex = ifindex;
  tcm->tcm_parent = parent;
  tcm->tcm_handle = handle;
  tcm->tcm_info = info;
  return tcm;
}

// tcm_info of a filter: priority in the high 16 bits, protocol (network
// order) in the low 16; by default ETH_P_ALL so ARP/ND and control frames
// match too.
std::uint32_t filter_info(std::uint16_t pref, std::uint16_t protocol = ETH_P_ALL) {
  return TC_H_MAKE(static_cast<std::uint32_t>(pref) << 16, htons(protocol));
}

void put_gact(nlmsghdr* nlh, int action) {
  nlattr* list = mnl_attr_nest_start(nlh, 1);  // action order 1
  mnl_attr_put_strz(nlh, TCA_ACT_KIND, "gact");
  nlattr* opts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
  tc_gact parms{};
  parms.action = action;
  mnl_attr_put(nlh, TCA_GACT_PARMS, sizeof parms, &parms);
  mnl_attr_nest_end(nlh, opts);
  mnl_attr_nest_end(nlh, list);
}

// Action number `order` of a filter's action list: tunnel_key set `key`,
// then on to the next action (pipe).
void put_tunnel_key(nlmsghdr* nlh, std::uint16_t order, const TunnelKey& key) {
  if (key.src.family() != key.dst.family())
    throw std::invalid_argument("tunnel_key: source and destination of different families");
  nlattr* act = mnl_attr_nest_start(nlh, order);
  mnl_attr_put_strz(nlh, TCA_ACT_KIND, "tunnel_key");
  nlattr* aopts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
  tc_tunnel_key parms{};
  parms.action = TC_ACT_PIPE;
  parms.t_action = TCA_TUNNEL_KEY_ACT_SET;
  mnl_attr_put(nlh, TCA_TUNNEL_KEY_PARMS, sizeof parms, &parms);
  if (key.dst.is_v4()) {
    auto s = key.src.v4_bytes(), d = key.dst.v4_bytes();
    mnl_attr_put(nlh, TCA_TUNNEL_KEY_ENC_IPV4_SRC, 4, s.data());
    mnl_attr_put(nlh, TCA_TUNNEL_KEY_ENC_IPV4_DST, 4, d.data());
  } else {
    mnl_attr_put(nlh, TCA_TUNNEL_KEY_ENC_IPV6_SRC, 16, key.src.bytes().data());
    mnl_attr_put(nlh, TCA_TUNNEL_KEY_ENC_IPV6_DST, 16, key.dst.bytes().data());
  }
  mnl_attr_put_u32(nlh, TCA_TUNNEL_KEY_ENC_KEY_ID, htonl(key.vni));
  mnl_attr_put_u16(nlh, TCA_TUNNEL_KEY_ENC_DST_PORT, htons(key.dst_port));
  mnl_attr_put_u8(nlh, TCA_TUNNEL_KEY_NO_CSUM, key.csum ? 0 : 1);
  mnl_attr_put_u8(nlh, TCA_TUNNEL_KEY_ENC_TOS, key.tos);
  mnl_attr_put_u8(nlh, TCA_TUNNEL_KEY_ENC_TTL, key.ttl);
  if (key.option) {
    const auto& o = *key.option;
    if (o.data.empty() || o.data.size() % 4 != 0 || o.data.size() > 124)
      throw std::invalid_argument(fmt::format("GENEVE option data of {} bytes", o.data.size()));
    nlattr* enc = mnl_attr_nest_start(nlh, TCA_TUNNEL_KEY_ENC_OPTS);
    nlattr* g = mnl_attr_nest_start(nlh, TCA_TUNNEL_KEY_ENC_OPTS_GENEVE);
    mnl_attr_put_u16(nlh, TCA_TUNNEL_KEY_ENC_OPT_GENEVE_CLASS, htons(o.option_class));
    mnl_attr_put_u8(nlh, TCA_TUNNEL_KEY_ENC_OPT_GENEVE_TYPE, o.type);
    mnl_attr_put(nlh, TCA_TUNNEL_KEY_ENC_OPT_GENEVE_DATA, o.data.size(), o.data.data());
    mnl_attr_nest_end(nlh, g);
    mnl_attr_nest_end(nlh, enc);
  }
  mnl_attr_nest_end(nlh, aopts);
  mnl_attr_nest_end(nlh, act);
}

// skbedit mark `mark`, then on (pipe).
void put_skbedit_mark(nlmsghdr* nlh, std::uint16_t order, std::uint32_t mark) {
  nlattr* act = mnl_attr_nest_start(nlh, order);
  mnl_attr_put_strz(nlh, TCA_ACT_KIND, "skbedit");
  nlattr* opts = mnl_attr_nest_start(nlh, TCA_ACT_OPTIONS);
  tc_skbedit parms{};
  parms.action = TC_ACT_PIPE;
  mnl_attr_put(nlh, TCA_SKBEDIT_PARMS, sizeof parms, &parms);
  mnl_attr_put_u32(nlh, TCA_SKBEDIT_MARK, mark);
  mnl_attr_nest_end(nlh, opts);
  mnl_attr_nest_end(nlh, act);
}

// A flower address key and its mask: `length` leading bits.
void put_prefix(nlmsghdr* nlh, std::uint16_t key_attr, std::uint16_t mask_attr, const net::IpAddress& a, int length) {
  const std::size_t n = a.is_v4() ? 4 : 16;
  std::array<std::uint8_t, 16> ones;
  ones.fill(0xff);
  const auto mask =
      net::masked(a.is_v4() ? net::IpAddress::v4({0xff, 0xff, 0xff, 0xff}) : net::IpAddress::v6(ones), length);
  mnl_attr_put(nlh, key_attr, n, net::masked(a, length).bytes().data());
  mnl_attr_put(nlh, mask_attr, n, mask.bytes().data());
}

constexpr std::uint32_t kEgressParent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS);
constexpr std::uint32_t kIngressParent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
constexpr std::uint16_t kCreate = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
// `tc filter replace`: the filter of this pref and handle is made or, in
// one step, changed (a path change without a gap).
constexpr std::uint16_t kReplace = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
constexpr std::uint8_t kNeighborSolicitation = 135;

std::uint32_t parent_of(Hook h) {
  return h == Hook::kEgress ? kEgressParent : kIngressParent;
}

nlmsghdr* put_filter(MessageBuffer& b, std::uint16_t type, std::uint16_t flags, const FilterId& f, const char* kind) {
  put_tcmsg(b, type, flags, f.ifindex, parent_of(f.hook), f.handle, filter_info(f.pref, f.protocol));
  nlmsghdr* nlh = b.header();
  if (f.chain) mnl_attr_put_u32(nlh, TCA_CHAIN, f.chain);
  if (kind) mnl_attr_put_strz(nlh, TCA_KIND, kind);
  return nlh;
}

void put_action(nlmsghdr* nlh, const FilterAction& a) {
  switch (a.kind) {
    case FilterAction::Kind::kAccept: put_gact(nlh, TC_ACT_OK); break;
    case FilterAction::Kind::kDrop: put_gact(nlh, TC_ACT_SHOT); break;
    case FilterAction::Kind::kGotoChain:
      if (a.chain > TC_ACT_EXT_VAL_MASK) throw std::invalid_argument("tc chain number out of range");
      put_gact(nlh, static_cast<int>(TC_ACT_GOTO_CHAIN | a.chain));
      break;
    case FilterAction::Kind::kTunnel:
      put_tunnel_key(nlh, 1, a.key);
      put_skbedit_mark(nlh, 2, a.mark);
      break;
  }
}

bool family_matches(const Prefix& p, std::uint16_t protocol) {
  return protocol == (p.address.is_v4() ? ETH_P_IP : ETH_P_IPV6);
}

}  // namespace

Message build_add_clsact(int ifindex) {
  MessageBuffer b;
  put_tcmsg(b, RTM_NEWQDISC, kCreate, ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
  mnl_attr_put_strz(b.header(), TCA_KIND, "clsact");
  return b.bytes();
}

Message build_del_clsact(int ifindex) {
  MessageBuffer b;
  put_tcmsg(b, RTM_DELQDISC, NLM_F_REQUEST | NLM_F_ACK, ifindex, TC_H_CLSACT, TC_H_MAKE(TC_H_CLSACT, 0), 0);
  mnl_attr_put_strz(b.header(), TCA_KIND, "clsact");
  return b.bytes();
}

Message build_egress_tunnel_key(int ifindex, const TunnelKey& key) {
  MessageBuffer b;
  put_tcmsg(b, RTM_NEWTFILTER, kCreate, ifindex, kEgressParent, 1, filter_info(kEgressPref));
  nlmsghdr* nlh = b.header();
  mnl_attr_put_strz(nlh, TCA_KIND, "matchall");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_MATCHALL_ACT);
  put_tunnel_key(nlh, 1, key);
  mnl_attr_nest_end(nlh, acts);
  mnl_attr_nest_end(nlh, options);
  return b.bytes();
}

Message build_ingress_accept(int ifindex, std::uint32_t vni, const net::IpAddress& peer) {
  MessageBuffer b;
  put_tcmsg(b, RTM_NEWTFILTER, kCreate, ifindex, kIngressParent, 1, filter_info(kIngressAcceptPref));
  nlmsghdr* nlh = b.header();
  mnl_attr_put_strz(nlh, TCA_KIND, "flower");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  mnl_attr_put_u32(nlh, TCA_FLOWER_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  mnl_attr_put_u32(nlh, TCA_FLOWER_KEY_ENC_KEY_ID, htonl(vni));
  if (peer.is_v4())
    put_prefix(nlh, TCA_FLOWER_KEY_ENC_IPV4_SRC, TCA_FLOWER_KEY_ENC_IPV4_SRC_MASK, peer, 32);
  else
    put_prefix(nlh, TCA_FLOWER_KEY_ENC_IPV6_SRC, TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK, peer, 128);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_FLOWER_ACT);
  put_gact(nlh, TC_ACT_OK);
  mnl_attr_nest_end(nlh, acts);
  mnl_attr_nest_end(nlh, options);
  return b.bytes();
}

Message build_flower(const FilterId& f, const FlowerMatch& m, const FilterAction& a, bool replace) {
  for (const auto* p : {&m.src, &m.dst})
    if (*p && !family_matches(**p, f.protocol))
      throw std::invalid_argument("flower: an IP prefix of another family than the filter's protocol");
  for (const auto* p : {&m.arp_sip, &m.arp_tip})
    if (*p && (f.protocol != ETH_P_ARP || !(*p)->address.is_v4()))
      throw std::invalid_argument("flower: an ARP address needs protocol arp and IPv4");
  MessageBuffer b;
  nlmsghdr* nlh = put_filter(b, RTM_NEWTFILTER, replace ? kReplace : kCreate, f, "flower");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  mnl_attr_put_u32(nlh, TCA_FLOWER_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  if (f.protocol != ETH_P_ALL) mnl_attr_put_u16(nlh, TCA_FLOWER_KEY_ETH_TYPE, htons(f.protocol));
  if (m.ip_proto) mnl_attr_put_u8(nlh, TCA_FLOWER_KEY_IP_PROTO, *m.ip_proto);
  if (m.icmp_type) {
    mnl_attr_put_u8(nlh, TCA_FLOWER_KEY_ICMPV6_TYPE, *m.icmp_type);
    mnl_attr_put_u8(nlh, TCA_FLOWER_KEY_ICMPV6_TYPE_MASK, 0xff);
  }
  const bool v4 = f.protocol == ETH_P_IP;
  if (m.src)
    put_prefix(nlh, v4 ? TCA_FLOWER_KEY_IPV4_SRC : TCA_FLOWER_KEY_IPV6_SRC,
               v4 ? TCA_FLOWER_KEY_IPV4_SRC_MASK : TCA_FLOWER_KEY_IPV6_SRC_MASK, m.src->address, m.src->length);
  if (m.dst)
    put_prefix(nlh, v4 ? TCA_FLOWER_KEY_IPV4_DST : TCA_FLOWER_KEY_IPV6_DST,
               v4 ? TCA_FLOWER_KEY_IPV4_DST_MASK : TCA_FLOWER_KEY_IPV6_DST_MASK, m.dst->address, m.dst->length);
  if (m.arp_sip)
    put_prefix(nlh, TCA_FLOWER_KEY_ARP_SIP, TCA_FLOWER_KEY_ARP_SIP_MASK, m.arp_sip->address, m.arp_sip->length);
  if (m.arp_tip)
    put_prefix(nlh, TCA_FLOWER_KEY_ARP_TIP, TCA_FLOWER_KEY_ARP_TIP_MASK, m.arp_tip->address, m.arp_tip->length);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_FLOWER_ACT);
  put_action(nlh, a);
  mnl_attr_nest_end(nlh, acts);
  mnl_attr_nest_end(nlh, options);
  return b.bytes();
}

Message build_solicitation_target(const FilterId& f, const Prefix& target, const FilterAction& a) {
  if (f.protocol != ETH_P_IPV6 || !target.address.is_v6())
    throw std::invalid_argument("a neighbour solicitation target is an IPv6 prefix on a protocol ipv6 filter");
  // Offsets from the IPv6 header: next header (byte 6), the ICMPv6 type
  // (40), the target (48..63), as ndisc sends it (no extension headers).
  std::vector<tc_u32_key> keys;
  auto key = [&](std::uint32_t mask, std::uint32_t value, int off) {
    tc_u32_key k{};
    k.mask = htonl(mask);
    k.val = htonl(value & mask);
    k.off = off;
    keys.push_back(k);
  };
  key(0x0000ff00, std::uint32_t{IPPROTO_ICMPV6} << 8, 4);
  key(0xff000000, std::uint32_t{kNeighborSolicitation} << 24, 40);
  const net::IpAddress network = net::masked(target.address, target.length);
  const auto& t = network.bytes();
  for (int w = 0; w < 4; ++w) {
    const int bits = std::clamp(target.length - 32 * w, 0, 32);
    if (bits == 0) break;
    const std::uint32_t mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
    const auto i = static_cast<std::size_t>(4 * w);
    const std::uint32_t v = (std::uint32_t{t[i]} << 24) | (std::uint32_t{t[i + 1]} << 16) |
                            (std::uint32_t{t[i + 2]} << 8) | std::uint32_t{t[i + 3]};
    key(mask, v, 48 + 4 * w);
  }
  tc_u32_sel sel{};
  sel.flags = TC_U32_TERMINAL;  // a match ends the walk and runs the actions
  sel.nkeys = static_cast<unsigned char>(keys.size());
  // tc_u32_sel ends in a flexible array of its keys.
  std::vector<std::uint8_t> selector(sizeof sel + keys.size() * sizeof(tc_u32_key));
  std::memcpy(selector.data(), &sel, sizeof sel);
  std::memcpy(selector.data() + sizeof sel, keys.data(), keys.size() * sizeof(tc_u32_key));
  MessageBuffer b;
  nlmsghdr* nlh = put_filter(b, RTM_NEWTFILTER, kCreate, f, "u32");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  mnl_attr_put(nlh, TCA_U32_SEL, selector.size(), selector.data());
  mnl_attr_put_u32(nlh, TCA_U32_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_U32_ACT);
  put_action(nlh, a);
  mnl_attr_nest_end(nlh, acts);
  mnl_attr_nest_end(nlh, options);
  return b.bytes();
}

Message build_matchall_drop(const FilterId& f) {
  MessageBuffer b;
  nlmsghdr* nlh = put_filter(b, RTM_NEWTFILTER, kCreate, f, "matchall");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  mnl_attr_put_u32(nlh, TCA_MATCHALL_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_MATCHALL_ACT);
  put_gact(nlh, TC_ACT_SHOT);
  mnl_attr_nest_end(nlh, acts);
  mnl_attr_nest_end(nlh, options);
  return b.bytes();
}

Message build_delete_filter(const FilterId& f) {
  MessageBuffer b;
  put_filter(b, RTM_DELTFILTER, NLM_F_REQUEST | NLM_F_ACK, f, nullptr);
  return b.bytes();
}

Message build_client_ingress(const FilterId& f, std::uint32_t vni, const net::Endpoint& from, const net::Endpoint& to,
                             std::uint32_t chain, bool source_port) {
  if (from.address.family() != to.address.family())
    throw std::invalid_argument("client ingress filter: outer addresses of two families");
  if (chain > TC_ACT_EXT_VAL_MASK) throw std::invalid_argument("tc chain number out of range");
  MessageBuffer b;
  nlmsghdr* nlh = put_filter(b, RTM_NEWTFILTER, kReplace, f, "flower");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  mnl_attr_put_u32(nlh, TCA_FLOWER_FLAGS, TCA_CLS_FLAGS_SKIP_HW);
  mnl_attr_put_u32(nlh, TCA_FLOWER_KEY_ENC_KEY_ID, htonl(vni));
  if (from.address.is_v4()) {
    put_prefix(nlh, TCA_FLOWER_KEY_ENC_IPV4_SRC, TCA_FLOWER_KEY_ENC_IPV4_SRC_MASK, from.address, 32);
    put_prefix(nlh, TCA_FLOWER_KEY_ENC_IPV4_DST, TCA_FLOWER_KEY_ENC_IPV4_DST_MASK, to.address, 32);
  } else {
    put_prefix(nlh, TCA_FLOWER_KEY_ENC_IPV6_SRC, TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK, from.address, 128);
    put_prefix(nlh, TCA_FLOWER_KEY_ENC_IPV6_DST, TCA_FLOWER_KEY_ENC_IPV6_DST_MASK, to.address, 128);
  }
  if (source_port) {
    mnl_attr_put_u16(nlh, TCA_FLOWER_KEY_ENC_UDP_SRC_PORT, htons(from.port));
    mnl_attr_put_u16(nlh, TCA_FLOWER_KEY_ENC_UDP_SRC_PORT_MASK, 0xffff);
  }
  mnl_attr_put_u16(nlh, TCA_FLOWER_KEY_ENC_UDP_DST_PORT, htons(to.port));
  mnl_attr_put_u16(nlh, TCA_FLOWER_KEY_ENC_UDP_DST_PORT_MASK, 0xffff);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_FLOWER_ACT);
  put_gact(nlh, static_cast<int>(TC_ACT_GOTO_CHAIN | chain));
  mnl_attr_nest_end(nlh, acts);
  mnl_attr_nest_end(nlh, options);
  return b.bytes();
}

Message build_ingress_drop(int ifindex) {
  MessageBuffer b;
  put_tcmsg(b, RTM_NEWTFILTER, kCreate, ifindex, kIngressParent, 1, filter_info(kIngressDropPref));
  nlmsghdr* nlh = b.header();
  mnl_attr_put_strz(nlh, TCA_KIND, "matchall");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_MATCHALL_ACT);
  put_gact(nlh, TC_ACT_SHOT);
  mnl_attr_nest_end(nlh, acts);
  mnl_attr_nest_end(nlh, options);
  return b.bytes();
}

TunnelFilters::TunnelFilters(MnlSocket& sock, int ifindex, std::string ifname, const TunnelKey& key)
    : sock_(&sock), ifindex_(ifindex), ifname_(std::move(ifname)) {
  try {
    sock.request(build_add_clsact(ifindex), "adding a clsact qdisc to " + ifname_);
  } catch (const NetlinkError& e) {
    rethrow_unsupported(e, "clsact qdisc (sch_ingress)");
  }
  // From here the qdisc exists: a failure must remove it, and a throwing
  // constructor runs no destructor, so clean up by hand.
  try {
    try {
      sock.request(build_egress_tunnel_key(ifindex, key),
                   fmt::format("adding the egress tunnel_key filter (VNI {}, peer {}) to {}", key.vni,
                               key.dst.to_string(), ifname_));
    } catch (const NetlinkError& e) {
      rethrow_unsupported(e, "matchall classifier or tunnel_key action (cls_matchall, act_tunnel_key)");
    }
    try {
      sock.request(build_ingress_accept(ifindex, key.vni, key.dst),
                   fmt::format("adding the ingress filter admitting VNI {} from {} to {}", key.vni, key.dst.to_string(),
                               ifname_));
      sock.request(build_ingress_drop(ifindex), "adding the ingress drop filter to " + ifname_);
    } catch (const NetlinkError& e) {
      rethrow_unsupported(e, "flower classifier or gact action (cls_flower, act_gact)");
    }
  } catch (...) {
    try {
      sock.request(build_del_clsact(ifindex), "removing the clsact qdisc from " + ifname_);
    } catch (const std::exception& e) {
      log::error("{}", e.what());
    }
    throw;
  }
}

TunnelFilters::~TunnelFilters() {
  try {
    sock_->request(build_del_clsact(ifindex_), "removing the clsact qdisc from " + ifname_);
  } catch (const NetlinkError& e) {
    // The device may be gone already (deleted with its qdiscs).
    if (e.code() != ENODEV && e.code() != EINVAL) log::error("{}", e.what());
  } catch (const std::exception& e) {
    log::error("{}", e.what());
  }
}

}  // namespace gn::netlink
