#include "netlink/nflog.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <sys/socket.h>

#include <fmt/format.h>

namespace gn::netlink {
namespace {

Message config_message(std::uint16_t group, const std::function<void(nlmsghdr*)>& attrs) {
  MessageBuffer b;
  nlmsghdr* nlh = b.put_header((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK);
  auto* g = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(group);
  attrs(nlh);
  return b.bytes();
}

}  // namespace

Message build_nflog_bind(std::uint16_t group) {
  return config_message(group, [](nlmsghdr* nlh) {
    nfulnl_msg_config_cmd cmd{NFULNL_CFG_CMD_BIND};
    mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof cmd, &cmd);
  });
}

Message build_nflog_copy_packet(std::uint16_t group, std::uint32_t copy_range) {
  return config_message(group, [copy_range](nlmsghdr* nlh) {
    nfulnl_msg_config_mode mode{};
    mode.copy_range = htonl(copy_range);
    mode.copy_mode = NFULNL_COPY_PACKET;
    mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof mode, &mode);
    // Each copy at once: by default the kernel holds up to 100 of them or
    // 1 s, longer than a probe waits for its reply.
    mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(1));
    mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(0));
  });
}

NflogListener::NflogListener(std::uint16_t group, std::uint32_t copy_range) : sock_(NETLINK_NETFILTER), group_(group) {
  try {
    sock_.request(build_nflog_bind(group), fmt::format("binding NFLOG group {}", group));
    sock_.request(build_nflog_copy_packet(group, copy_range), fmt::format("asking NFLOG group {} for packets", group));
  } catch (const NetlinkError& e) {
    rethrow_unsupported(e, "nfnetlink_log (NFLOG)");
  }
}

bool NflogListener::receive(const std::function<void(std::span<const std::uint8_t>)>& fn) {
  return sock_.receive_unsolicited([&](const nlmsghdr* nlh) {
    if ((nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET || (nlh->nlmsg_type >> 8) != NFNL_SUBSYS_ULOG) return;
    parse_attributes(nlh, sizeof(nfgenmsg), [&](const nlattr* a) {
      if (mnl_attr_get_type(a) != NFULA_PAYLOAD) return;
      fn({static_cast<const std::uint8_t*>(mnl_attr_get_payload(a)), mnl_attr_get_payload_len(a)});
    });
  });
}

}  // namespace gn::netlink
