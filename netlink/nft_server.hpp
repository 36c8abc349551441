#pragma once
// The nftables table of a server on kernel GENEVE (docs/kernel.md, "Design
// ... the server and auto mode on the kernel", issue 11): one external
// GENEVE device carries every client, and the kernel always sends to the
// device's own port, so the destination port of each client's NAT mapping
// is written here, keyed by the mark the client's tc egress filter set
// (tag | client index) and the outer destination address:
//
//   table inet NAME  (flags owner; comment = our mark)
//     counter unmapped
//     map dport6 { type mark . ipv6_addr : inet_service }
//     map dport4 { type mark . ipv4_addr : inet_service }
//     chain output  type filter hook output priority raw (-300)
//       meta mark TAG notrack accept                 our control messages
//       meta mark & MASK != TAG accept               not ours
//       meta nfproto ipv6 udp dport PORT
//         udp dport set meta mark . ip6 daddr map @dport6
//         [udp sport set SPORT] meta mark set 0 notrack accept
//       meta nfproto ipv4 udp dport PORT udp checksum != 0
//         udp dport set meta mark . ip daddr map @dport4
//         [udp sport set SPORT] meta mark set 0 notrack accept
//       counter name unmapped drop                   marked, no element
//     chain input ...                                the control capture (nft.hpp)
//
// The lookup is the first thing of its rule that acts: a key without an
// element ends the rule before any write, and the packet meets the drop.
// With the address in the key the rewrite fails closed: while tc and the
// map disagree (one of them updated, the other not yet), a packet is
// dropped and counted, never sent to another client's port.
#include <cstdint>
#include <string>

#include "net/address.hpp"
#include "netlink/mnl.hpp"
#include "netlink/nft.hpp"

namespace gn::netlink {

struct ServerTableSpec {
  std::string table;    // "geneve_nat64_gns"
  std::string comment;  // ownership mark, as the device's alias
  // The device's port: the destination port of the data we send and of the
  // control messages captured.
  std::uint16_t port = 6081;
  std::uint16_t source_port = 6081;
  // False when the kernel pins the source port itself
  // (IFLA_GENEVE_PORT_RANGE, Linux 6.16+): no `udp sport set` then.
  bool pin_source_port = true;
  // Client i's packets carry mark_tag | i (1..65535 with the default mask);
  // our own control messages mark_tag | 0.
  std::uint32_t mark_tag = 0x474e0000;
  std::uint32_t mark_mask = 0xffff0000;
  CaptureParams capture;
};

inline constexpr const char* kUnmappedCounter = "unmapped";

// One batch: table, counter, maps, output chain and rules, capture chain.
// Throws std::invalid_argument if the tag has bits outside the mask.
Message build_server_table_batch(const ServerTableSpec& spec);

// What one element batch does to the key (mark . outer_dst).
enum class PortChange {
  kAdd,      // add (no change if it exists with the same port)
  kReplace,  // delete and add, one transaction
  kRemove,   // delete
};
Message build_port_batch(const std::string& table, PortChange change, std::uint32_t mark,
                         const net::IpAddress& outer_dst, std::uint16_t port);
// NFT_MSG_GETOBJ for the table's `unmapped` counter (with its reset off).
Message build_get_unmapped_counter(const std::string& table);

// The installed table. Owns its nfnetlink socket: the table lives as long
// as the socket (owner flag), and is deleted explicitly on destruction.
class ServerTable {
 public:
  // Throws KernelUnsupported naming the pieces if nftables or something the
  // table needs is missing, NetlinkError for other refusals.
  explicit ServerTable(const ServerTableSpec& spec);
  ServerTable(const ServerTable&) = delete;
  ServerTable& operator=(const ServerTable&) = delete;
  ~ServerTable();

  // Client packets with `mark` to `outer_dst` leave to `port`. Adds the
  // element, or swaps it atomically if the key maps to another port.
  // Throws std::invalid_argument for a mark that is not a client's (tag
  // missing, or client 0), NetlinkError if the kernel refuses.
  void set_port(std::uint32_t mark, const net::IpAddress& outer_dst, std::uint16_t port);
  // Their packets are dropped (and counted) from now on. An absent key is
  // not an error.
  void remove_port(std::uint32_t mark, const net::IpAddress& outer_dst);
  // Marked packets dropped because no element matched.
  std::uint64_t unmapped_drops();
  const std::string& table() const { return table_; }

 private:
  void check_mark(std::uint32_t mark, const net::IpAddress& outer_dst) const;
  MnlSocket sock_;
  std::string table_;
  std::uint32_t mark_tag_;
  std::uint32_t mark_mask_;
};

}  // namespace gn::netlink
