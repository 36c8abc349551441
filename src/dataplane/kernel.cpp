#include "dataplane/kernel.hpp"

#include <linux/netlink.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include <fmt/format.h>

#include "netlink/link.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/log.hpp"

namespace gn::dataplane {
namespace {

constexpr std::string_view kMarkPrefix = "geneve-nat64 pid=";

// Field 22 of /proc/<pid>/stat: the process's start time in clock ticks;
// none when no such process runs. Any other failure to read is thrown: a
// mark must not look stale (and its device be deleted) because we could not
// look.
std::optional<std::string> start_time(long pid) {
  std::string line;
  try {
    line = read_file(fmt::format("/proc/{}/stat", pid), "process status");
  } catch (const SystemError& e) {
    if (e.code() == ENOENT || e.code() == ESRCH) return std::nullopt;
    throw;
  }
  // The command name (field 2) may hold spaces and parentheses: skip to the
  // last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22; ++i)
    if (!(rest >> field)) return std::nullopt;
  return field;
}

netlink::GeneveOptionBytes route_option(const KernelTunnelConfig& cfg) {
  return route_option_bytes(cfg.vni, cfg.option_id, *cfg.route);
}

// Why kernel GENEVE cannot send to `peer` whatever the kernel has, or
// nullopt.
std::optional<std::string> port_mismatch(std::uint16_t listen_port, const net::Endpoint& peer) {
  if (peer.port == listen_port) return std::nullopt;
  return fmt::format("kernel GENEVE sends to the port it listens on ({}), and the peer listens on {}", listen_port,
                     peer.port);
}

// Throws when the path cannot be carried: KernelUnsupported for the port,
// UsageError for mixed address families.
void check_path(std::uint16_t listen_port, const net::IpAddress& local, const net::Endpoint& peer) {
  if (auto why = port_mismatch(listen_port, peer)) throw netlink::KernelUnsupported(*why);
  if (local.family() != peer.address.family())
    throw UsageError(fmt::format("LOCAL {} and PATH {} are of different address families", local.to_string(),
                                 peer.address.to_string()));
}

int create_link(netlink::MnlSocket& sock, const KernelTunnelConfig& cfg) {
  check_path(cfg.listen_port, cfg.local, cfg.peer);
  // Always external: tunnel_key sets our outer source address on every
  // packet. A plain device lets routing pick it (Linux before 6.18 has no
  // IFLA_GENEVE_LOCAL), and with several addresses (IPv6 temporary
  // addresses, a second prefix) the peer would see packets from an address
  // that is not LOCAL and drop them.
  netlink::GeneveParams p;
  p.ifname = cfg.ifname;
  p.external = true;
  p.port = cfg.listen_port;
  p.source_port = cfg.source_port;
  p.mtu = cfg.mtu;
  p.alias = ownership_mark();
  return netlink::create_geneve(sock, p);
}

}  // namespace

netlink::GeneveOptionBytes route_option_bytes(std::uint32_t vni, const geneve::OptionId& id,
                                              const geneve::Nat64Route& route) {
  // The codec builds the option exactly as the userspace data plane sends
  // it; take class, type and data back out of its header.
  geneve::HeaderBuilder h(vni);
  h.add_route(id, route);
  auto bytes = h.bytes();
  netlink::GeneveOptionBytes out;
  geneve::for_each_option(bytes.subspan(geneve::kBaseHeaderLen), [&](const geneve::OptionView& o) {
    out.option_class = o.option_class;
    out.type = o.type;
    out.data.assign(o.data.begin(), o.data.end());
  });
  return out;
}

std::string_view to_string(SourcePortMethod m) {
  return m == SourcePortMethod::kKernelRange ? "kernel-port-range" : "nftables";
}

std::string ownership_mark() {
  long pid = ::getpid();
  return fmt::format("{}{} start={}", kMarkPrefix, pid, start_time(pid).value_or("0"));
}

bool mark_is_stale(const std::string& mark) {
  if (mark.rfind(kMarkPrefix, 0) != 0) return false;
  long pid = 0;
  char start[32] = {};
  if (std::sscanf(mark.c_str() + kMarkPrefix.size(), "%ld start=%31s", &pid, start) != 2 || pid <= 0) return false;
  auto now = start_time(pid);
  return !now || *now != start;
}

KernelDataplane::KernelDataplane(const KernelTunnelConfig& cfg) : KernelDataplane(cfg, false) {}

KernelDataplane::KernelDataplane(const KernelTunnelConfig& cfg, bool probe)
    : cfg_(cfg), sock_(NETLINK_ROUTE), link_(sock_, create_link(sock_, cfg), cfg.ifname) {
  // From here on, a throw unwinds the members: link_ deletes the device
  // (and with it any qdisc and filter), pin_ its nftables table.
  auto info = netlink::get_link(sock_, cfg.ifname);
  if (!info) throw std::runtime_error("interface " + cfg.ifname + " vanished right after it was created");
  // Linux takes IFLA_IFALIAS on a link change only; a create may ignore it.
  if (info->alias.empty()) netlink::set_alias(sock_, link_.ifindex(), cfg.ifname, ownership_mark());

  // Kernels before 6.16 ignore IFLA_GENEVE_PORT_RANGE without a word (the
  // link data is parsed liberally): only the kernel's answer tells.
  range_kept_ =
      info->port_range && info->port_range->first == cfg.source_port && info->port_range->second == cfg.source_port + 1;
  install_path();
  if (!range_kept_) {
    // The rewrite is only right on packets whose outer checksum the stack
    // finishes after it: see disable_tx_checksum_offload.
    netlink::disable_tx_checksum_offload(cfg.ifname);
  }
  if (probe) return;

  netlink::set_link_mtu_up(sock_, link_.ifindex(), cfg.ifname, std::nullopt);
  for (const auto& a : cfg.addresses) netlink::add_address(sock_, link_.ifindex(), cfg.ifname, a);
  control_.emplace(link_.ifindex(), cfg.ifname);
  log::info("kernel data plane on {}: external GENEVE + tc, VNI {}, {} -> {}, source port {} by {}{}", cfg.ifname,
            cfg.vni, cfg.local.to_string(), cfg.peer.to_string(), cfg.source_port, to_string(source_port_method()),
            cfg.route ? ", routing option on every packet" : "");
}

KernelDataplane::~KernelDataplane() = default;

void KernelDataplane::install_path() {
  netlink::TunnelKey key;
  key.vni = cfg_.vni;
  key.src = cfg_.local;
  key.dst = cfg_.peer.address;
  key.dst_port = cfg_.peer.port;
  key.ttl = cfg_.ttl;
  key.csum = true;
  if (cfg_.route) key.option = route_option(cfg_);
  filters_.emplace(sock_, link_.ifindex(), cfg_.ifname, key);
  if (!range_kept_) {
    netlink::SourcePortRule rule;
    rule.table = netlink::source_port_table(cfg_.ifname);
    rule.comment = ownership_mark();
    rule.peer = cfg_.peer.address;
    rule.peer_port = cfg_.peer.port;
    rule.vni = cfg_.vni;
    rule.source_port = cfg_.source_port;
    pin_.emplace(rule);
  }
}

void KernelDataplane::retarget(const net::IpAddress& local, const net::Endpoint& peer) {
  check_path(cfg_.listen_port, local, peer);
  // The filters and the source-port rule name the peer: replace them (the
  // old ones first, as they hold the same tc handles and table name). While
  // none is installed, frames find no tunnel key and the kernel drops them.
  pin_.reset();
  filters_.reset();
  cfg_.local = local;
  cfg_.peer = peer;
  install_path();
  log::info("kernel data plane on {}: now {} -> {}", cfg_.ifname, cfg_.local.to_string(), cfg_.peer.to_string());
}

std::optional<std::string> KernelDataplane::unsupported_reason(const KernelTunnelConfig& cfg) {
  KernelTunnelConfig probe = cfg;
  probe.ifname = fmt::format("gnprobe{}", ::getpid() % 10000000);
  probe.addresses.clear();
  // Another port than the real one: an external device must be alone on
  // its port, and a running tunnel may hold cfg's. The port is never opened.
  probe.listen_port = static_cast<std::uint16_t>(cfg.listen_port == 1 ? 2 : 1);
  probe.peer.port = probe.listen_port;
  if (auto why = port_mismatch(cfg.listen_port, cfg.peer)) return why;
  try {
    KernelDataplane d(probe, true);
  } catch (const netlink::KernelUnsupported& e) {
    return e.what();
  }
  return std::nullopt;
}

netlink::LinkStats KernelDataplane::stats() {
  auto info = netlink::get_link(sock_, cfg_.ifname);
  if (!info) throw std::runtime_error("interface " + cfg_.ifname + " is gone");
  return info->stats;
}

StaleObjects remove_stale_objects() {
  StaleObjects out;
  netlink::MnlSocket route(NETLINK_ROUTE);
  for (const auto& link : netlink::list_links(route)) {
    if (link.kind != "geneve" || !mark_is_stale(link.alias)) continue;
    log::info("removing interface {} left by a process that is gone ({})", link.ifname, link.alias);
    netlink::delete_link(route, link.ifindex, link.ifname);
    out.links.push_back(link.ifname);
  }
  try {
    netlink::MnlSocket nf(NETLINK_NETFILTER);
    for (const auto& t : netlink::list_inet_tables(nf)) {
      if (t.name.rfind(netlink::kTablePrefix, 0) != 0 || !mark_is_stale(t.comment)) continue;
      log::info("removing nftables table inet {} left by a process that is gone ({})", t.name, t.comment);
      netlink::delete_inet_table(nf, t.name);
      out.tables.push_back(t.name);
    }
  } catch (const netlink::NetlinkError& e) {
    // No nftables in this kernel: nothing of ours can be there.
    if (e.code() != EPROTONOSUPPORT && e.code() != EOPNOTSUPP) throw;
  } catch (const SystemError& e) {
    if (e.code() != EPROTONOSUPPORT) throw;
  }
  return out;
}

}  // namespace gn::dataplane
