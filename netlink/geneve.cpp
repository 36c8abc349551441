#include "netlink/geneve.hpp"

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "util/log.hpp"

namespace gn::netlink {
namespace {

ifinfomsg* put_ifinfo(MessageBuffer& b, std::uint16_t type, std::uint16_t flags, int ifindex) {
  nlmsghdr* nlh = b.put_header(type, flags);
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return ifi;
}

}  // namespace

Message build_new_geneve(const GeneveParams& p) {
  MessageBuffer b;
  put_ifinfo(b, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, 0);
  nlmsghdr* nlh = b.header();
  mnl_attr_put_strz(nlh, IFLA_IFNAME, p.ifname.c_str());
  if (p.mtu) mnl_attr_put_u32(nlh, IFLA_MTU, *p.mtu);
  if (!p.alias.empty()) mnl_attr_put_strz(nlh, IFLA_IFALIAS, p.alias.c_str());
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "geneve");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u16(nlh, IFLA_GENEVE_PORT, htons(p.port));
  if (p.external) {
    mnl_attr_put(nlh, IFLA_GENEVE_COLLECT_METADATA, 0, nullptr);
  } else {
    mnl_attr_put_u32(nlh, IFLA_GENEVE_ID, p.vni);
    if (p.remote && p.remote->is_v4()) {
      auto a = p.remote->v4_bytes();
      mnl_attr_put(nlh, IFLA_GENEVE_REMOTE, a.size(), a.data());
    } else if (p.remote) {
      mnl_attr_put(nlh, IFLA_GENEVE_REMOTE6, 16, p.remote->bytes().data());
    }
    mnl_attr_put_u8(nlh, IFLA_GENEVE_TTL, p.ttl);
    mnl_attr_put_u8(nlh, IFLA_GENEVE_TOS, p.tos);
    if (p.remote && p.remote->is_v6()) mnl_attr_put_u32(nlh, IFLA_GENEVE_LABEL, htonl(p.label & 0xfffff));
    // IPv4: checksums on (the kernel's default is off, which NATs and
    // NAT64s drop). In external mode tunnel_key decides per packet, and
    // the kernel refuses the attribute.
    if (p.remote && p.remote->is_v4()) mnl_attr_put_u8(nlh, IFLA_GENEVE_UDP_CSUM, 1);
  }
  // IPv6: send and require checksums.
  mnl_attr_put_u8(nlh, IFLA_GENEVE_UDP_ZERO_CSUM6_TX, 0);
  mnl_attr_put_u8(nlh, IFLA_GENEVE_UDP_ZERO_CSUM6_RX, 0);
  mnl_attr_put_u8(nlh, IFLA_GENEVE_DF, GENEVE_DF_SET);
  if (p.source_port && *p.source_port < 0xffff) {
    std::uint16_t range[2] = {htons(*p.source_port), htons(static_cast<std::uint16_t>(*p.source_port + 1))};
    mnl_attr_put(nlh, kIflaGenevePortRange, sizeof range, range);
  }
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  return b.bytes();
}

Message build_set_alias(int ifindex, const std::string& alias) {
  MessageBuffer b;
  put_ifinfo(b, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, ifindex);
  mnl_attr_put_strz(b.header(), IFLA_IFALIAS, alias.c_str());
  return b.bytes();
}

Message build_del_link(int ifindex) {
  MessageBuffer b;
  put_ifinfo(b, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, ifindex);
  return b.bytes();
}

Message build_get_link(const std::string& ifname) {
  MessageBuffer b;
  put_ifinfo(b, RTM_GETLINK, NLM_F_REQUEST | (ifname.empty() ? NLM_F_DUMP : 0), 0);
  if (!ifname.empty()) mnl_attr_put_strz(b.header(), IFLA_IFNAME, ifname.c_str());
  return b.bytes();
}

namespace {

void parse_geneve_data(const nlattr* data, LinkInfo& out) {
  parse_nested(data, [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case IFLA_GENEVE_COLLECT_METADATA: out.external = true; break;
      case IFLA_GENEVE_ID:
        if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) out.vni = mnl_attr_get_u32(a);
        break;
      case IFLA_GENEVE_PORT:
        if (mnl_attr_validate(a, MNL_TYPE_U16) == 0) out.port = ntohs(mnl_attr_get_u16(a));
        break;
      case kIflaGenevePortRange:
        if (mnl_attr_validate2(a, MNL_TYPE_BINARY, 4) == 0) {
          std::uint16_t r[2];
          std::memcpy(r, mnl_attr_get_payload(a), 4);
          out.port_range = std::pair{ntohs(r[0]), ntohs(r[1])};
        }
        break;
      default: break;
    }
  });
}

}  // namespace

LinkInfo parse_link(const nlmsghdr* nlh) {
  LinkInfo out;
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ifinfomsg)) return out;
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
  out.ifindex = ifi->ifi_index;
  out.up = (ifi->ifi_flags & IFF_UP) != 0;
  const nlattr* info_data = nullptr;
  parse_attributes(nlh, sizeof(ifinfomsg), [&](const nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case IFLA_IFNAME:
        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) out.ifname = mnl_attr_get_str(a);
        break;
      case IFLA_IFALIAS:
        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) out.alias = mnl_attr_get_str(a);
        break;
      case IFLA_MTU:
        if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) out.mtu = mnl_attr_get_u32(a);
        break;
      case IFLA_ADDRESS:
        if (mnl_attr_get_payload_len(a) == 6) {
          std::array<std::uint8_t, 6> mac;
          std::memcpy(mac.data(), mnl_attr_get_payload(a), mac.size());
          out.hardware_address = mac;
        }
        break;
      case IFLA_STATS64:
        // The structure grows with kernel versions: read the fields we know.
        if (mnl_attr_get_payload_len(a) >= sizeof(rtnl_link_stats64)) {
          rtnl_link_stats64 s;
          std::memcpy(&s, mnl_attr_get_payload(a), sizeof s);
          out.stats = {s.rx_packets, s.tx_packets, s.rx_bytes,  s.tx_bytes,
                       s.rx_dropped, s.tx_dropped, s.rx_errors, s.tx_errors};
        }
        break;
      case IFLA_LINKINFO:
        if (mnl_attr_validate(a, MNL_TYPE_NESTED) != 0) break;
        parse_nested(a, [&](const nlattr* i) {
          if (mnl_attr_get_type(i) == IFLA_INFO_KIND && mnl_attr_validate(i, MNL_TYPE_NUL_STRING) == 0)
            out.kind = mnl_attr_get_str(i);
          if (mnl_attr_get_type(i) == IFLA_INFO_DATA && mnl_attr_validate(i, MNL_TYPE_NESTED) == 0) info_data = i;
        });
        break;
      default: break;
    }
  });
  // IFLA_INFO_DATA may come before IFLA_INFO_KIND, and only GENEVE data
  // has the meaning read here.
  if (info_data && out.kind == "geneve") parse_geneve_data(info_data, out);
  return out;
}

int create_geneve(MnlSocket& sock, const GeneveParams& p) {
  std::string what = fmt::format("creating GENEVE interface {} ({}, port {})", p.ifname,
                                 p.external ? "external" : fmt::format("VNI {}", p.vni), p.port);
  try {
    sock.request(build_new_geneve(p), what);
  } catch (const NetlinkError& e) {
    if (e.code() == EOPNOTSUPP) throw KernelUnsupported(fmt::format("this kernel has no GENEVE: {}", e.what()));
    throw;
  }
  unsigned index = if_nametoindex(p.ifname.c_str());
  if (index == 0) throw_errno("looking up the index of new interface " + p.ifname);
  return static_cast<int>(index);
}

void set_alias(MnlSocket& sock, int ifindex, const std::string& ifname, const std::string& alias) {
  sock.request(build_set_alias(ifindex, alias), fmt::format("setting the alias of {} to '{}'", ifname, alias));
}

void delete_link(MnlSocket& sock, int ifindex, const std::string& ifname) {
  try {
    sock.request(build_del_link(ifindex), "deleting interface " + ifname);
  } catch (const NetlinkError& e) {
    if (e.code() != ENODEV) throw;
  }
}

std::optional<LinkInfo> get_link(MnlSocket& sock, const std::string& ifname) {
  std::optional<LinkInfo> out;
  try {
    sock.get(build_get_link(ifname), "querying interface " + ifname,
             [&](const nlmsghdr* nlh) { out = parse_link(nlh); });
  } catch (const NetlinkError& e) {
    if (e.code() != ENODEV) throw;
  }
  return out;
}

std::vector<LinkInfo> list_links(MnlSocket& sock) {
  std::vector<LinkInfo> out;
  sock.dump(build_get_link(""), "listing interfaces", [&](const nlmsghdr* nlh) {
    if (nlh->nlmsg_type == RTM_NEWLINK) out.push_back(parse_link(nlh));
  });
  return out;
}

void disable_tx_checksum_offload(const std::string& ifname) {
  int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw_errno("opening a socket for the ethtool ioctl on " + ifname);
  // gn::Fd lives in gn_io, which gn_netlink does not link.
  struct Close {
    int fd;
    ~Close() { ::close(fd); }
  } closer{fd};
  ethtool_value value{};
  value.cmd = ETHTOOL_STXCSUM;
  value.data = 0;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&value);
  if (::ioctl(fd, SIOCETHTOOL, &ifr) < 0) throw_errno("turning off transmit checksum offload on " + ifname);
}

std::optional<std::string> probe_geneve_support(MnlSocket& sock) {
  GeneveParams p;
  p.ifname = fmt::format("gnprobe{}", ::getpid() % 10000000);
  p.vni = 1;
  p.remote = net::IpAddress::parse("::1");
  // A port nobody uses: the probe link is never up, so it opens no socket,
  // but an external device elsewhere on 6081 must not make it fail.
  p.port = 1;
  try {
    int index = create_geneve(sock, p);
    delete_link(sock, index, p.ifname);
  } catch (const KernelUnsupported& e) {
    return e.what();
  }
  return std::nullopt;
}

OwnedLink::~OwnedLink() {
  try {
    delete_link(*sock_, ifindex_, ifname_);
  } catch (const std::exception& e) {
    log::error("{}", e.what());
  }
}

}  // namespace gn::netlink
