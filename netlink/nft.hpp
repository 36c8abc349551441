#pragma once
// Source-port pinning with nftables, for kernels whose GENEVE has no
// source-port range (before 6.16): a stateless rule in a table of our own,
// installed over nfnetlink with libnftnl.
//
//   table inet geneve_nat64_<ifname>  (flags owner; comment = our mark)
//     chain output  type filter hook output priority raw (-300)
//       [ip|ip6] daddr PEER  udp dport PEER-PORT  @th,96,24 == VNI
//         udp checksum != 0  notrack  udp sport set SOURCE-PORT
//
// Only our GENEVE packets match: outer destination and port are the peer's,
// and the VNI in the GENEVE header (UDP payload bytes 4..6) is ours. notrack
// keeps conntrack from binding the hashed port before the rewrite.
// Checksum-0 IPv4 datagrams are left alone: the incremental checksum update
// would turn "no checksum" into a wrong one. The table is "owner"
// (NFT_TABLE_F_OWNER, Linux 5.12+): the kernel deletes it when our netlink
// socket closes, even on SIGKILL, and no other process can change it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/address.hpp"
#include "netlink/mnl.hpp"

namespace gn::netlink {

struct SourcePortRule {
  std::string table;    // "geneve_nat64_gnv0"
  std::string comment;  // ownership mark, as the link's alias
  net::IpAddress peer;
  std::uint16_t peer_port = 6081;
  std::uint32_t vni = 0;
  std::uint16_t source_port = 6081;
};

// The table name for a tunnel interface.
std::string source_port_table(const std::string& ifname);
inline constexpr const char* kTablePrefix = "geneve_nat64_";

// One nfnetlink batch: begin, new table, new chain, new rule, end.
Message build_source_port_batch(const SourcePortRule& rule);
Message build_delete_table_batch(const std::string& name);
Message build_get_tables();

struct NftTable {
  std::string name;
  std::string comment;
  std::uint32_t flags = 0;
};
// Tables of family inet.
std::vector<NftTable> list_inet_tables(MnlSocket& sock);
void delete_inet_table(MnlSocket& sock, const std::string& table);

// Control-message capture beside a kernel GENEVE device (docs/kernel.md,
// "Design ... server and auto mode on the kernel"): while the kernel owns
// the GENEVE port, a copy of every control message goes to an NFLOG group
// with its outer addresses and ports, after the host's own input filter:
//
//   table inet NAME  (flags owner; comment = our mark)
//     chain input  type filter hook input priority filter + 10
//       udp dport PORT @th,64,8 OPTLEN @th,80,16 0x6558
//         @th,(128 + 32*OPTLEN + 96),16 0x88b5  limit rate R/second burst B packets
//         log group G
//       ... one rule per GENEVE options length (in 4-byte words) we expect
//
// The first GENEVE byte is version (0) and Opt Len: matching it whole checks
// both. nftables has no offset taken from the packet, so each options
// length gets its rule; our peers send 0 (no option) or 6 (the routing option).
// What the capture copies, and how fast (shared with the server's table,
// nft_server.hpp).
struct CaptureParams {
  std::uint16_t group = 0;
  std::vector<std::uint8_t> option_words = {0, 6};
  std::uint32_t rate_per_second = 1000;  // a flood is cut here, in the kernel
  std::uint32_t burst = 5;
};

struct ControlCaptureRule {
  std::string table;
  std::string comment;
  std::uint16_t port = 6081;
  CaptureParams capture;
};
Message build_control_capture_batch(const ControlCaptureRule& rule);

// The installed capture table; deleted on destruction (and by the kernel
// with the socket, owner flag).
class ControlCapture {
 public:
  explicit ControlCapture(const ControlCaptureRule& rule);
  ControlCapture(const ControlCapture&) = delete;
  ControlCapture& operator=(const ControlCapture&) = delete;
  ~ControlCapture();

 private:
  MnlSocket sock_;
  std::string table_;
};

// The installed rule. Owns its nfnetlink socket: the table lives as long as
// the socket (owner flag), and is deleted explicitly on destruction.
class SourcePortPin {
 public:
  // Throws KernelUnsupported if nftables or an expression it needs is missing.
  explicit SourcePortPin(const SourcePortRule& rule);
  SourcePortPin(const SourcePortPin&) = delete;
  SourcePortPin& operator=(const SourcePortPin&) = delete;
  ~SourcePortPin();
  const std::string& table() const { return table_; }

 private:
  MnlSocket sock_;
  std::string table_;
};

}  // namespace gn::netlink
