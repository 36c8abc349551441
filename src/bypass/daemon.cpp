#include "bypass/daemon.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <fmt/ranges.h>

#include "net/address.hpp"
#include "netlink/link.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/log.hpp"

namespace gn::bypass {
namespace {

constexpr int kPacketsPerWakeup = 256;
constexpr std::size_t kBufferSize = 65536 + 64;
// Outer IPv4 + UDP + GENEVE + the option's header + Ethernet (protocol.md 8.1).
constexpr std::uint32_t kOverhead = 20 + 8 + 8 + 4 + 14;
constexpr const char* kStateFile = "gateways.json";

std::string v4(const Ipv4& a) {
  return net::IpAddress::v4(a).to_string();
}
std::string v6(const Ipv6& a) {
  return net::IpAddress::v6(a).to_string();
}
std::string mac_text(const Mac& m) {
  return fmt::format("{:02x}", fmt::join(m, ":"));
}

Fd open_socket(std::uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("creating the GENEVE socket");
  const int on = 1;
  // The address each datagram came to: an offer's target embeds it.
  if (::setsockopt(fd.get(), IPPROTO_IP, IP_PKTINFO, &on, sizeof on) < 0) throw_errno("setting IP_PKTINFO");
  // DF on everything (protocol.md 8.1); the tunnel's MTU is sized for it.
  const int pmtu = IP_PMTUDISC_DO;
  if (::setsockopt(fd.get(), IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu) < 0)
    throw_errno("setting IP_MTU_DISCOVER");
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sin), sizeof sin) < 0)
    throw_errno(fmt::format("binding UDP port {} (is another geneve-bypass or a GENEVE device on it?)", port));
  return fd;
}

nlohmann::json gateway_json(const GatewayInfo& g) {
  return {{"address", v4(g.address)},       {"vni", g.vni},           {"mac", mac_text(g.mac)},
          {"link_local", v6(g.link_local)}, {"mapped", v6(g.mapped)}, {"prefix_length", g.prefix_length}};
}

GatewayInfo gateway_from_json(const nlohmann::json& j) {
  GatewayInfo g;
  g.address = net::IpAddress::parse(j.at("address").get<std::string>()).value().v4_bytes();
  g.vni = j.at("vni").get<std::uint32_t>();
  const std::string mac = j.at("mac").get<std::string>();
  unsigned b[6];
  if (std::sscanf(mac.c_str(), "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
    throw std::runtime_error("bad mac '" + mac + "'");
  for (int i = 0; i < 6; ++i) g.mac[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(b[i]);
  g.link_local = net::IpAddress::parse(j.at("link_local").get<std::string>()).value().bytes();
  g.mapped = net::IpAddress::parse(j.at("mapped").get<std::string>()).value().bytes();
  g.prefix_length = j.at("prefix_length").get<int>();
  return g;
}

}  // namespace

Daemon::Daemon(const DaemonConfig& config)
    : config_(config),
      server_(config.server_config(), random_mac()),
      nl_(NETLINK_ROUTE),
      buf_(kBufferSize),
      started_(Clock::now()) {
  status_ =
      std::make_unique<control::StatusServer>(loop_, config_.run_dir, config_.tun, [this] { return status_json(); });
  if (config_.trust_any)
    log::warn("{}: --trust-any: answering offers from any source; anyone who can send to UDP {} can offer", config_.tun,
              config_.port);
  if (!config_.log_file.empty()) {
    log_file_.reset(::open(config_.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
    if (!log_file_) throw_errno("opening the log file " + config_.log_file);
  }
  socket_ = open_socket(config_.port);
  tun_.emplace(dataplane::TapDevice::create(config_.tun, dataplane::DeviceMode::kTun));
  // No link-local address: the tunnel carries only the clients' packets
  // and this host's answers from P::S, never the kernel's own chatter.
  netlink::set_addr_gen_none(nl_, tun_->ifindex(), tun_->name());
  netlink::set_link_mtu_up(nl_, tun_->ifindex(), tun_->name(), config_.mtu - kOverhead);
  if (const int stale = netlink::delete_rules_for_table(nl_, config_.table); stale > 0)
    log::info("{}: deleted {} rule(s) to table {} left by an earlier run", config_.tun, stale, config_.table);
  netlink::add_default_route(nl_, tun_->ifindex(), tun_->name(), config_.table);
  if (config_.fallback_priority != 0) rules_.emplace_back(nl_, std::nullopt, config_.table, config_.fallback_priority);

  loop_.watch(socket_.get(), "the GENEVE socket", [this] { on_socket_readable(); });
  loop_.watch(tun_->fd(), "the TUN device", [this] { on_tun_readable(); });
  loop_.set_timer([this] { return on_timer(); });

  std::string trusted;
  for (const TrustedGateway& g : config_.gateways)
    trusted += (trusted.empty() ? "" : ", ") + v4(g.address) + "/" + std::to_string(g.prefix_length);
  log::info("{}: NAT64 bypass server up: UDP {}, tunnel mtu {}, trusting {}; tunnel MAC {}", tun_->name(), config_.port,
            config_.mtu - kOverhead, config_.trust_any ? "any gateway" : trusted, mac_text(server_.tunnel_mac()));
  connection_log("Initialized");
  restore_state();
}

void Daemon::run() {
  const int signo = loop_.run();
  log::info("{}: {} received: leaving every gateway, removing the TUN device and the rules", config_.tun,
            strsignal(signo));
  for (const Datagram& d : server_.leave_all()) send(d);
  log_flows();
}

void Daemon::connection_log(const std::string& event) {
  // The NAT64 handoff server's format (seeds 002, 003), to stderr (the
  // journal) and the log file.
  const std::string line = log::timestamp(true) + " " + event + "\n";
  [[maybe_unused]] ssize_t a = ::write(STDERR_FILENO, line.data(), line.size());
  if (log_file_) [[maybe_unused]]
    ssize_t b = ::write(log_file_.get(), line.data(), line.size());
}

void Daemon::log_flows() {
  for (const FlowLogEvent& e : server_.take_flow_events())
    connection_log((e.event.kind == FlowEvent::Kind::kCreated ? "Created " : "Deleted ") + flow_name(e.event.key));
}

void Daemon::send(const Datagram& d) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(config_.port);
  std::memcpy(&to.sin_addr, d.to.data(), 4);
  if (::sendto(socket_.get(), d.payload.data(), d.payload.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               sizeof to) < 0) {
    // A full socket or an unreachable gateway: the peer's retransmission
    // or the next keepalive repairs it.
    if (send_errors_++ == 0 || log::level() == log::Level::kDebug)
      log::warn("{}: sending to {}: {} (further errors counted in status)", config_.tun, v4(d.to),
                std::strerror(errno));
  }
}

void Daemon::serve_gateway(const GatewayInfo& g, const std::string& offer_message) {
  if (!offer_message.empty()) log::info("{}: gateway {} offers: \"{}\"", config_.tun, v4(g.address), offer_message);
  log::info("{}: serving gateway {} (VNI {}, MAC {}): its clients reach this host at {}", config_.tun, v4(g.address),
            g.vni, mac_text(g.mac), v6(g.mapped));
  if (addresses_.insert(g.mapped).second) {
    netlink::add_address(nl_, tun_->ifindex(), tun_->name(), v6(g.mapped) + "/128");
    rules_.emplace_back(nl_, g.mapped, config_.table, config_.rule_priority);
  }
  connection_log("Initialized " + v4(g.address));
  save_state();
}

void Daemon::on_socket_readable() {
  for (int i = 0; i < kPacketsPerWakeup; ++i) {
    sockaddr_in from{};
    iovec iov{buf_.data(), buf_.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))];
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(socket_.get(), &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      // ICMP errors queued on the socket (a gateway unreachable): not fatal.
      if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH) continue;
      throw_errno("reading the GENEVE socket");
    }
    Ipv4 local{};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
        std::memcpy(local.data(), &reinterpret_cast<const in_pktinfo*>(CMSG_DATA(c))->ipi_addr, 4);
    Ipv4 source{};
    std::memcpy(source.data(), &from.sin_addr, 4);
    Server::Result r = server_.on_datagram(source, ntohs(from.sin_port), local,
                                           {buf_.data(), static_cast<std::size_t>(n)}, Clock::now());
    if (r.counter && r.counter != ServerCounter::data_from_gateways && r.counter != ServerCounter::offers_answered)
      log::debug("{}: dropped a datagram from {}:{}: {}", config_.tun, v4(source), ntohs(from.sin_port),
                 to_string(*r.counter));
    if (r.gateway) serve_gateway(*r.gateway, r.offer_message);
    for (const Datagram& d : r.send) send(d);
    if (!r.to_tun.empty() && !tun_->write_frame(r.to_tun))
      log::debug("{}: writing a {}-byte packet to the TUN device failed: {}", config_.tun, r.to_tun.size(),
                 std::strerror(errno));
  }
  log_flows();
}

void Daemon::on_tun_readable() {
  for (int i = 0; i < kPacketsPerWakeup; ++i) {
    const std::size_t n = tun_->read_frame(buf_);
    if (n == 0) break;
    if (std::optional<Datagram> d = server_.on_tun_packet({buf_.data(), n}, Clock::now())) send(*d);
  }
  log_flows();
}

Clock::time_point Daemon::on_timer() {
  const Clock::time_point now = Clock::now();
  for (const Datagram& d : server_.on_timer(now)) send(d);
  log_flows();
  return now + std::chrono::seconds(1);
}

void Daemon::restore_state() {
  const std::string path = config_.state_dir + "/" + kStateFile;
  if (::access(path.c_str(), F_OK) != 0) return;
  try {
    const nlohmann::json doc = nlohmann::json::parse(read_file(path, "bypass state"));
    for (const nlohmann::json& j : doc.at("gateways")) {
      const GatewayInfo g = gateway_from_json(j);
      bool trusted = config_.trust_any;
      for (const TrustedGateway& t : config_.gateways) trusted = trusted || t.address == g.address;
      if (!trusted) {
        log::info("{}: not restoring gateway {} from {}: no longer trusted", config_.tun, v4(g.address), path);
        continue;
      }
      server_.restore(g, Clock::now());
      log::info("{}: restored gateway {} from {}: keepalive at once", config_.tun, v4(g.address), path);
      serve_gateway(g, "");
    }
  } catch (const std::exception& e) {
    // Only a head start is lost: the gateway's next offer brings it back.
    log::warn("{}: ignoring {}: {}", config_.tun, path, e.what());
  }
}

void Daemon::save_state() const {
  nlohmann::json gateways = nlohmann::json::array();
  for (const GatewayInfo& g : server_.gateways()) gateways.push_back(gateway_json(g));
  const std::string path = config_.state_dir + "/" + kStateFile;
  const std::string tmp = path + ".tmp";
  try {
    std::filesystem::create_directories(config_.state_dir);
    const std::string text = nlohmann::json{{"gateways", gateways}}.dump(2) + "\n";
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) throw_errno("creating " + tmp);
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) throw_errno("writing " + tmp);
    if (::fsync(fd.get()) < 0) throw_errno("syncing " + tmp);
    if (::rename(tmp.c_str(), path.c_str()) < 0) throw_errno("renaming " + tmp + " to " + path);
  } catch (const std::exception& e) {
    // The tunnel works without it; a restart then waits for the next offer.
    log::warn("{}: cannot save the accepted gateways: {}", config_.tun, e.what());
  }
}

std::string Daemon::status_json() const {
  nlohmann::json gateways = nlohmann::json::array();
  for (const GatewayInfo& g : server_.gateways()) {
    nlohmann::json j = gateway_json(g);
    j["flows"] = server_.flows(g.address);
    gateways.push_back(j);
  }
  nlohmann::json counters = nlohmann::json::object();
  for (std::size_t i = 0; i < static_cast<std::size_t>(ServerCounter::kCount); ++i) {
    const auto c = static_cast<ServerCounter>(i);
    counters[std::string(to_string(c))] = server_.count(c);
  }
  counters["send_errors"] = send_errors_;
  std::string trusted = config_.trust_any ? "any" : "";
  nlohmann::json trusted_list = nlohmann::json::array();
  for (const TrustedGateway& t : config_.gateways)
    trusted_list.push_back(v4(t.address) + "/" + std::to_string(t.prefix_length));
  nlohmann::json doc = {
      {"command", "geneve-bypass"},
      {"interface", config_.tun},
      {"pid", static_cast<long>(::getpid())},
      {"uptime_seconds", std::chrono::duration<double>(Clock::now() - started_).count()},
      {"port", config_.port},
      {"mtu", config_.mtu - kOverhead},
      {"tunnel_mac", mac_text(server_.tunnel_mac())},
      {"trust_any", config_.trust_any},
      {"trusted", trusted_list},
      {"table", config_.table},
      {"max_flows_per_gateway", config_.max_flows},
      {"flow_timeout_seconds", config_.flow_timeout},
      {"gateways", gateways},
      {"counters", counters},
  };
  return doc.dump(2) + "\n";
}

}  // namespace gn::bypass
