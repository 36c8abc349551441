#pragma once
// The kernel data plane: one tunnel carried by a Linux GENEVE device, set up
// over netlink and torn down by RAII. See docs/kernel.md for the design.
//
//   the device:         external (collect_metadata) GENEVE + tc: egress
//                       matchall/tunnel_key puts VNI, our address (LOCAL),
//                       the peer's, checksum on and, when configured, the
//                       routing option on every frame (ARP/ND and control
//                       frames included); ingress flower admits only the
//                       peer's VNI, everything else is dropped. (A plain
//                       device would let routing pick the outer source.)
//   source port:        IFLA_GENEVE_PORT_RANGE [p, p+1) where the kernel
//                       keeps it (6.16+), else an nftables rule (nft.hpp).
//   control messages:   PacketSocket on the device, EtherType 0x88B5.
//
// A constructor that throws leaves nothing behind (every piece is a member
// that undoes itself). Objects are marked with ownership_mark() so that
// remove_stale_objects() can find those of dead processes after SIGKILL.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/packet_socket.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "netlink/geneve.hpp"
#include "netlink/mnl.hpp"
#include "netlink/nft.hpp"
#include "netlink/tc.hpp"

namespace gn::dataplane {

struct KernelTunnelConfig {
  std::string ifname;  // an exact name ("gnv0"); must not exist
  std::uint32_t vni = 0;
  net::IpAddress local;  // our outer address
  net::Endpoint peer;    // PATH and the peer's port
  std::uint16_t listen_port = geneve::kDefaultPort;
  std::uint16_t source_port = geneve::kDefaultPort;
  std::optional<geneve::Nat64Route> route;  // on every packet when set
  geneve::OptionId option_id;
  std::optional<std::uint32_t> mtu;
  std::vector<std::string> addresses;  // "addr/len"
  std::uint8_t ttl = 64;
};

// The routing option as tc tunnel_key carries it: the codec's bytes.
netlink::GeneveOptionBytes route_option_bytes(std::uint32_t vni, const geneve::OptionId& id,
                                              const geneve::Nat64Route& route);

enum class SourcePortMethod { kKernelRange, kNftables };
std::string_view to_string(SourcePortMethod m);

class KernelDataplane {
 public:
  // Throws netlink::KernelUnsupported when this kernel cannot carry the
  // tunnel (no GENEVE, no tc/nftables piece, peer port != listen port),
  // other exceptions (NetlinkError, SystemError, UsageError) otherwise.
  explicit KernelDataplane(const KernelTunnelConfig& cfg);
  KernelDataplane(const KernelDataplane&) = delete;
  KernelDataplane& operator=(const KernelDataplane&) = delete;
  ~KernelDataplane();

  // Why the kernel data plane cannot carry `cfg` here (nullopt: it can).
  // Builds the same objects on a throw-away interface that is never up, and
  // removes them.
  static std::optional<std::string> unsupported_reason(const KernelTunnelConfig& cfg);

  const std::string& ifname() const { return link_.ifname(); }
  int ifindex() const { return link_.ifindex(); }
  // Always true today (see above); kept so callers need not assume it.
  bool external() const { return filters_.has_value(); }
  SourcePortMethod source_port_method() const {
    return pin_ ? SourcePortMethod::kNftables : SourcePortMethod::kKernelRange;
  }
  // Moves the tunnel to another path (a PATH that now resolves elsewhere):
  // the interface, its addresses and routes stay. Throws like the
  // constructor; after a throw the device carries nothing, and the caller
  // must give it up.
  void retarget(const net::IpAddress& local, const net::Endpoint& peer);
  // rx/tx packets, bytes, drops, errors of the tunnel interface.
  netlink::LinkStats stats();
  // Control frames in and out (EtherType 0x88B5) on the tunnel interface.
  PacketSocket& control() { return *control_; }

 private:
  // probe: build everything but never bring the interface up.
  KernelDataplane(const KernelTunnelConfig& cfg, bool probe);
  // The tc filters and, where the kernel has no port range, the nftables
  // source-port rule for cfg_'s path.
  void install_path();

  KernelTunnelConfig cfg_;
  netlink::MnlSocket sock_;
  netlink::OwnedLink link_;
  std::optional<netlink::TunnelFilters> filters_;
  std::optional<netlink::SourcePortPin> pin_;
  bool range_kept_ = false;  // the kernel pins the source port itself
  std::optional<PacketSocket> control_;
};

// "geneve-nat64 pid=<pid> start=<start time in clock ticks>": the alias of
// our links and the comment of our nftables tables. The start time tells a
// reused pid from ours.
std::string ownership_mark();
// True if `mark` is ours and its process is gone.
bool mark_is_stale(const std::string& mark);

struct StaleObjects {
  std::vector<std::string> links;   // interface names deleted
  std::vector<std::string> tables;  // nftables tables deleted
};
// Deletes GENEVE links and nftables tables in this network namespace whose
// mark names a process that no longer exists. Never touches objects without
// our mark, or those of live processes.
StaleObjects remove_stale_objects();

}  // namespace gn::dataplane
