#pragma once
// The kernel data plane of a server: one external GENEVE device for all its
// clients (docs/kernel.md, "The server on the kernel"). Userspace learns
// each client's path from its authenticated probes and programs it here;
// the client's frames then never enter userspace.
//
//   egress   chain 0: the client's prefixes (flower dst, u32 solicitation
//            target, flower ARP target) -> goto chain i; pref 900 drop
//            chain i: pref 1 flower -> tunnel_key (the path) + mark tag|i,
//            replaced in one step when the path moves; pref 900 drop
//   nftables output: udp dport set (mark . daddr) map, sport fixed;
//            no element -> drop (never a wrong port)
//   ingress  chain 0: pref 1 control frames drop (read from NFLOG);
//            pref 10/11 the exact outer path -> goto chain i; pref 900 drop
//            chain i: the client's prefixes as inner source -> ok; ND from
//            link-local or :: -> the ND chain; pref 900 drop (spoofed)
//   control  nftables input copies control messages (with their outer
//            source) to an NFLOG group; replies leave by raw sockets.
//
// The constructor builds everything or throws leaving nothing (members
// undo themselves; deleting the device removes every tc object).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/kernel.hpp"
#include "dataplane/raw_sender.hpp"
#include "geneve/codec.hpp"
#include "net/address.hpp"
#include "netlink/geneve.hpp"
#include "netlink/mnl.hpp"
#include "netlink/nflog.hpp"
#include "netlink/nft_server.hpp"
#include "netlink/tc.hpp"

namespace gn::dataplane {

struct KernelServerConfig {
  std::string ifname;                         // exact; must not exist
  std::uint16_t port = geneve::kDefaultPort;  // the device's, and the source port
  net::IpAddress local;                       // our outer IPv6 address
  std::optional<net::IpAddress> local4;       // and IPv4, for clients reaching us over IPv4
  geneve::OptionId option_id;
  std::uint32_t mtu = 1400;
  std::vector<std::string> addresses;  // "addr/len" on the interface
  std::uint8_t ttl = 64;
  std::uint32_t mark_tag = 0x474e0000;  // high 16 bits; the client index is the low 16
  std::size_t clients = 1;              // sizes the control rate limit
  std::uint32_t control_rate = 0;       // copies per second; 0: from `clients`
  // One peer that gets every frame and may send anything (auto mode): no
  // classification by prefix, no inner source checks.
  bool point_to_point = false;
};

// Where a client's frames go: the outer destination and, on a path through
// an extension-capable NAT64, the routing option.
struct KernelTarget {
  net::Endpoint to;
  std::optional<netlink::GeneveOptionBytes> option;
  bool operator==(const KernelTarget&) const = default;
};

struct KernelClient {
  std::uint32_t vni = 0;
  std::vector<net::IpPrefix> allowed_ips;
};

class KernelServer {
 public:
  static constexpr std::uint32_t kMaxClients = 0xffff;
  static constexpr std::size_t kMaxPrefixes = 255;

  // Throws netlink::KernelUnsupported when this kernel lacks a piece
  // (GENEVE, a tc classifier or action, an nftables expression, NFLOG),
  // other exceptions otherwise.
  explicit KernelServer(const KernelServerConfig& cfg);
  KernelServer(const KernelServer&) = delete;
  KernelServer& operator=(const KernelServer&) = delete;
  ~KernelServer();

  // Why this kernel cannot carry `cfg` (nullopt: it can): the same objects,
  // and one client's, on a throw-away device on another port, never up.
  static std::optional<std::string> unsupported_reason(const KernelServerConfig& cfg);

  const std::string& ifname() const { return link_.ifname(); }
  int ifindex() const { return link_.ifindex(); }
  SourcePortMethod source_port_method() const {
    return range_kept_ ? SourcePortMethod::kKernelRange : SourcePortMethod::kNftables;
  }

  // Client `index` (1..kMaxClients, each once), before it has a path.
  void add_client(std::uint32_t index, KernelClient client);
  // Client `index`'s frames go to `target` (none: they are dropped). On a
  // change, at every instant a frame goes to the old target or the new one,
  // or is dropped: never to another client's port. Throws NetlinkError
  // naming the object; the previous target then stays.
  void set_target(std::uint32_t index, const std::optional<KernelTarget>& target);
  // Data is admitted from these outer sources (any port) and this exact one
  // (a learned NAT mapping), with the client's VNI, to our address and port.
  void admit(std::uint32_t index, const std::vector<net::IpAddress>& any_port,
             const std::optional<net::Endpoint>& exact);
  std::optional<KernelTarget> target(std::uint32_t index) const;

  // Control messages: watch control_fd(); receive_control() calls `fn`
  // for each copied GENEVE control frame sent to us, with its outer
  // source, and counts what it rejects. False when nothing was queued.
  int control_fd() const { return nflog_->fd(); }
  using ControlFn = std::function<void(const net::Endpoint& from, std::uint32_t vni, std::span<const std::uint8_t>)>;
  bool receive_control(const ControlFn& fn);
  // One GENEVE datagram from our port to `to`. False if the kernel had no
  // room; throws SystemError on other failures.
  bool send_control(const net::Endpoint& to, std::span<const std::uint8_t> header, std::span<const std::uint8_t> frame);

  struct ControlStats {
    std::uint64_t copies = 0;    // read from NFLOG
    std::uint64_t rejected = 0;  // not a well-formed control datagram to us
    std::uint64_t overruns = 0;  // copies lost: we read too slowly
  };
  ControlStats control_stats() const;
  // Marked packets nftables dropped because no port was mapped for them.
  std::uint64_t unmapped_drops() { return table_->unmapped_drops(); }
  netlink::LinkStats stats();

 private:
  KernelServer(const KernelServerConfig& cfg, bool probe);
  struct Client {
    KernelClient spec;
    std::optional<KernelTarget> target;
    std::vector<netlink::FilterId> admitted;  // its ingress chain-0 filters
    bool classified = false;                  // its chain-0 and per-chain filters exist
  };
  Client& client(std::uint32_t index);
  void install_client_filters(std::uint32_t index, Client& c);
  const net::IpAddress& local_for(const net::IpAddress& peer) const;
  void request(netlink::Message m, const std::string& what);

  KernelServerConfig cfg_;
  netlink::MnlSocket sock_;
  netlink::OwnedLink link_;
  bool range_kept_ = false;
  std::optional<netlink::NflogListener> nflog_;
  std::optional<netlink::ServerTable> table_;
  RawSender raw_;
  std::map<std::uint32_t, Client> clients_;
  // u32 solicitation filters per prefix length (their prefs fill up).
  std::map<int, std::size_t> solicitation_filters_;
  ControlStats control_stats_;
};

}  // namespace gn::dataplane
