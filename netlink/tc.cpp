#include "netlink/tc.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_gact.h>
#include <linux/tc_act/tc_tunnel_key.h>

#include <arpa/inet.h>
#include <cerrno>

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
// order) in the low 16; ETH_P_ALL so ARP/ND and control frames match too.
std::uint32_t filter_info(std::uint16_t pref) {
  return TC_H_MAKE(static_cast<std::uint32_t>(pref) << 16, htons(ETH_P_ALL));
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

constexpr std::uint32_t kEgressParent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS);
constexpr std::uint32_t kIngressParent = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
constexpr std::uint16_t kCreate = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

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
  if (key.src.family() != key.dst.family())
    throw std::invalid_argument("tunnel_key: source and destination of different families");
  MessageBuffer b;
  put_tcmsg(b, RTM_NEWTFILTER, kCreate, ifindex, kEgressParent, 1, filter_info(kEgressPref));
  nlmsghdr* nlh = b.header();
  mnl_attr_put_strz(nlh, TCA_KIND, "matchall");
  nlattr* options = mnl_attr_nest_start(nlh, TCA_OPTIONS);
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_MATCHALL_ACT);
  nlattr* act = mnl_attr_nest_start(nlh, 1);
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
  if (peer.is_v4()) {
    auto a = peer.v4_bytes();
    std::array<std::uint8_t, 4> mask;
    mask.fill(0xff);
    mnl_attr_put(nlh, TCA_FLOWER_KEY_ENC_IPV4_SRC, 4, a.data());
    mnl_attr_put(nlh, TCA_FLOWER_KEY_ENC_IPV4_SRC_MASK, 4, mask.data());
  } else {
    std::array<std::uint8_t, 16> mask;
    mask.fill(0xff);
    mnl_attr_put(nlh, TCA_FLOWER_KEY_ENC_IPV6_SRC, 16, peer.bytes().data());
    mnl_attr_put(nlh, TCA_FLOWER_KEY_ENC_IPV6_SRC_MASK, 16, mask.data());
  }
  nlattr* acts = mnl_attr_nest_start(nlh, TCA_FLOWER_ACT);
  put_gact(nlh, TC_ACT_OK);
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
