#pragma once
// GENEVE links over rtnetlink: create, query, delete. Building a message is
// a pure function returning its bytes (tests/unit/netlink_geneve_test.cpp
// checks them against linux/if_link.h and the kernel's geneve_policy);
// sending is separate (MnlSocket). Attribute numbers newer than the build
// host's headers are defined here.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "netlink/mnl.hpp"

namespace gn::netlink {

// include/uapi/linux/if_link.h, Linux 6.16+ ("geneve: Allow users to specify
// source port range"): struct ifla_geneve_port_range { __be16 low, high; }.
inline constexpr std::uint16_t kIflaGenevePortRange = 15;

struct GeneveParams {
  std::string ifname;
  // External (collect_metadata) mode: one device per UDP port and netns;
  // VNI, remote and everything per packet come from tunnel metadata (tc
  // tunnel_key). Then vni/remote/ttl/tos/label must not be given (the kernel
  // refuses them) and UDP checksums are chosen per packet.
  bool external = false;
  std::uint32_t vni = 0;
  std::optional<net::IpAddress> remote;  // IPv4 -> IFLA_GENEVE_REMOTE, IPv6 -> REMOTE6
  std::uint16_t port = 6081;             // host order here; network order on the wire
  std::uint8_t ttl = 64;
  std::uint8_t tos = 0;
  std::uint32_t label = 0;  // IPv6 flow label (20 bits), IPv6 remote only
  // Source port pinned by the kernel (IFLA_GENEVE_PORT_RANGE, Linux 6.16+).
  // The kernel's udp_flow_src_port() treats low >= high as "use the
  // ephemeral range", so a single port p is asked for as [p, p+1): with
  // hash * (high - low) >> 32 always 0, every packet gets p. Port 65535
  // cannot be pinned this way.
  std::optional<std::uint16_t> source_port;
  std::optional<std::uint32_t> mtu;
  std::string alias;  // IFLA_IFALIAS: our ownership mark
};

// RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK.
Message build_new_geneve(const GeneveParams& p);
// RTM_NEWLINK (change) setting IFLA_IFALIAS on an existing link.
Message build_set_alias(int ifindex, const std::string& alias);
// RTM_DELLINK by index.
Message build_del_link(int ifindex);
// RTM_GETLINK by name (one link) or, with an empty name, a dump of all.
Message build_get_link(const std::string& ifname);

// 64-bit link counters (IFLA_STATS64).
struct LinkStats {
  std::uint64_t rx_packets = 0, tx_packets = 0, rx_bytes = 0, tx_bytes = 0;
  std::uint64_t rx_dropped = 0, tx_dropped = 0, rx_errors = 0, tx_errors = 0;
};

// What a RTM_NEWLINK answer says about a link.
struct LinkInfo {
  int ifindex = 0;
  std::string ifname;
  std::string kind;   // IFLA_INFO_KIND, "" if none
  std::string alias;  // IFLA_IFALIAS
  std::uint32_t mtu = 0;
  bool up = false;
  std::optional<std::array<std::uint8_t, 6>> hardware_address;  // IFLA_ADDRESS of an Ethernet link
  LinkStats stats;
  // GENEVE only (IFLA_INFO_DATA):
  bool external = false;
  std::uint32_t vni = 0;
  std::uint16_t port = 0;                                             // host order
  std::optional<std::pair<std::uint16_t, std::uint16_t>> port_range;  // host order
};

// Parses one RTM_NEWLINK message.
LinkInfo parse_link(const nlmsghdr* nlh);

// Creates the link; returns its index. Throws KernelUnsupported if the
// kernel has no GENEVE (EOPNOTSUPP "Unknown device type"), NetlinkError
// naming the interface otherwise.
int create_geneve(MnlSocket& sock, const GeneveParams& p);
void set_alias(MnlSocket& sock, int ifindex, const std::string& ifname, const std::string& alias);
// Deletes a link; a link already gone is not an error.
void delete_link(MnlSocket& sock, int ifindex, const std::string& ifname);
std::optional<LinkInfo> get_link(MnlSocket& sock, const std::string& ifname);
std::vector<LinkInfo> list_links(MnlSocket& sock);

// Turns off transmit checksum offload (and with it TSO) on a link, with the
// ethtool ioctl: the stack then checksums (and segments) inner packets
// before the GENEVE device sees them. Needed with the nftables source-port
// rewrite: with an inner CHECKSUM_PARTIAL packet the device computes the
// outer UDP checksum in full at once (local checksum offload) while the
// skb stays CHECKSUM_PARTIAL, and nft_payload skips the checksum update for
// CHECKSUM_PARTIAL transport headers, so the rewritten port would leave a
// wrong checksum (seen: TCP over the tunnel never connects).
void disable_tx_checksum_offload(const std::string& ifname);

// Why this kernel cannot make GENEVE links (nullopt: it can). Creates and
// deletes a throw-away link "gnprobe<pid>" in the current network namespace.
std::optional<std::string> probe_geneve_support(MnlSocket& sock);

// A GENEVE link we created: deleted on destruction.
class OwnedLink {
 public:
  OwnedLink(MnlSocket& sock, int ifindex, std::string ifname)
      : sock_(&sock), ifindex_(ifindex), ifname_(std::move(ifname)) {}
  OwnedLink(const OwnedLink&) = delete;
  OwnedLink& operator=(const OwnedLink&) = delete;
  ~OwnedLink();
  int ifindex() const { return ifindex_; }
  const std::string& ifname() const { return ifname_; }

 private:
  MnlSocket* sock_;
  int ifindex_;
  std::string ifname_;
};

}  // namespace gn::netlink
