#include "nat64/gateway.hpp"

#include <linux/netlink.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include <fmt/ranges.h>

#include "control/message.hpp"
#include "nat64/status.hpp"
#include "netlink/link.hpp"
#include "util/error.hpp"
#include "util/file.hpp"
#include "util/log.hpp"

namespace gn::nat64 {
namespace {

// Bounded work per wake-up so that signals, the timer and status clients
// are served under a flood; epoll is level-triggered, so the rest follows.
constexpr int kPacketsPerWakeup = 256;
// The largest IP packet plus slack: whatever the TUN MTU, one read never
// truncates a packet.
constexpr std::size_t kBufferSize = 65536 + 64;

// The translator's configuration with the bypass's persistent secret read
// from its file, made first when there is none (docs/gateway.md, "Bypass").
TranslatorConfig with_bypass_secret(const GatewayConfig& g) {
  TranslatorConfig t = g.translator_config();
  if (!t.bypass.enabled) return t;
  if (create_private_file(g.bypass_secret, control::generate_key_base64() + "\n", "bypass secret"))
    log::info("created the bypass secret {}: keep it, the servers' VNIs are derived from it", g.bypass_secret);
  const control::Key key = control::read_key_file(g.bypass_secret);
  static_assert(std::tuple_size_v<control::Key> == std::tuple_size_v<bypass::Secret>);
  std::copy(key.begin(), key.end(), t.bypass.persistent.begin());
  return t;
}

}  // namespace

Gateway::Gateway(const GatewayConfig& config)
    : config_(config),
      translator_(with_bypass_secret(config), [] { return Clock::now(); }),
      started_(std::chrono::steady_clock::now()),
      in_buf_(kBufferSize),
      out_buf_() {
  out_buf_.reserve(kBufferSize + 64);
  // The status socket first: if another gateway serves this TUN name, stop
  // before touching any interface.
  status_server_ =
      std::make_unique<control::StatusServer>(loop_, config_.run_dir, config_.tun, [this] { return status_json(); });
  // With offloads, TCP arrives as super-packets of up to 64 KiB that are
  // translated once and leave as super-packets (docs/gateway.md, "Offloads").
  // With the bypass, no TSO: a bypassed super-packet would need segmenting.
  tun_.emplace(
      dataplane::TapDevice::create(config_.tun, dataplane::DeviceMode::kTun, config_.offload,
                                   config_.bypass ? dataplane::Segmentation::kNone : dataplane::Segmentation::kTcp));
  netlink::MnlSocket nl(NETLINK_ROUTE);
  netlink::set_link_mtu_up(nl, tun_->ifindex(), tun_->name(), config_.mtu);

  translator_.set_extension_hook([this](const Binding& b, const Session& s) {
    // Debug only: at info the log holds aggregates, never who talked to
    // whom (docs/gateway.md, "Usage accounting and privacy").
    log::debug("{}: routing option from {}:{} created binding [{}]:{} <-> {}:{}", tun_->name(),
               s.remote_address().to_string(), s.remote_port, b.v6_address.to_string(), b.v6_port,
               translator_.config().pool.to_string(), b.pool_port);
  });

  translator_.set_bypass_hook([this](const Bytes4& server, std::string_view what, const bypass::Mac& mac) {
    // Per server, never per connection: a server's operator chose to
    // be reached this way, and the log says when it changed.
    log::info("{}: bypass: server {} {} (VNI {}, tunnel MAC {:02x})", tun_->name(),
              net::IpAddress::v4(server).to_string(), what, translator_.bypass_vni(server), fmt::join(mac, ":"));
  });

  timer_fd_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_fd_) throw_errno("creating the expiry timerfd");
  // One tick a second: timeouts are whole seconds, and each tick only pops
  // sessions that are due (see StateTable), so it costs nothing when idle.
  itimerspec tick{};
  tick.it_interval.tv_sec = 1;
  tick.it_value.tv_sec = 1;
  if (::timerfd_settime(timer_fd_.get(), 0, &tick, nullptr) < 0) throw_errno("arming the expiry timerfd");
  loop_.watch(tun_->fd(), "the TUN device", [this] { on_tun_readable(); });
  loop_.watch(timer_fd_.get(), "the timerfd", [this] { on_timer(); });

  const TranslatorConfig& t = translator_.config();
  log::info("{}: offload {}", tun_->name(), offload_text());
  log::info(
      "{}: NAT64 {} <-> pool {} up (gateway address {}, mtu {}, max {} sessions); route the prefix and "
      "the pool address to {}",
      tun_->name(), t.prefix.to_string(), t.pool.to_string(), translator_.ipv6_address().to_string(), t.mtu,
      t.max_sessions, tun_->name());
  if (translator_.extension_enabled()) {
    std::string allow;
    for (const auto& p : t.allow) allow += (allow.empty() ? "" : ", ") + p.to_string();
    log::info(
        "{}: GENEVE extension on: port {}, option class 0x{:04x} type 0x{:02x}, allow {}, {}/s burst {} per "
        "source",
        tun_->name(), t.geneve_port, t.option_id.option_class, t.option_id.type, allow, t.rate, t.burst);
  } else {
    log::info("{}: GENEVE extension off (no --allow prefix): port {} is filtered like any other", tun_->name(),
              t.geneve_port);
  }
  if (translator_.bypass_enabled())
    log::info("{}: NAT64 bypass on: offers from {}:{} at most every {} s per server, {}/s in all; secret {}",
              tun_->name(), t.pool.to_string(), t.geneve_port, t.bypass.limits.offer_interval.count(),
              t.bypass.limits.offer_rate, config_.bypass_secret);
}

void Gateway::run() {
  int signo = loop_.run();
  log::info("{}: {} received, removing the TUN device", tun_->name(), strsignal(signo));
}

Offload Gateway::offload_of(std::span<const std::uint8_t, dataplane::offload::kVnetHeaderLen> vnet) {
  namespace off = dataplane::offload;
  off::VnetHeader vh = off::read_vnet(vnet);
  Offload o;
  o.partial = (vh.flags & off::kFlagNeedsCsum) != 0;
  o.ecn = (vh.gso_type & off::kGsoEcn) != 0;
  switch (vh.gso_type & ~off::kGsoEcn) {
    case off::kGsoNone: break;
    case off::kGsoTcpV4:
    case off::kGsoTcpV6:
      o.tcp_segment = vh.gso_size;
      o.unsupported = vh.gso_size == 0;
      break;
    default: o.unsupported = true;  // USO was not asked for
  }
  return o;
}

void Gateway::write_offload(const Offload& o, std::span<std::uint8_t, dataplane::offload::kVnetHeaderLen> vnet,
                            bool v6) {
  namespace off = dataplane::offload;
  off::VnetHeader vh;
  if (o.partial) {
    vh.flags = off::kFlagNeedsCsum;
    vh.csum_start = o.l4_offset;
    vh.csum_offset = o.checksum_field;
  }
  if (o.tcp_segment != 0) {
    vh.gso_type = static_cast<std::uint8_t>((v6 ? off::kGsoTcpV6 : off::kGsoTcpV4) | (o.ecn ? off::kGsoEcn : 0));
    vh.gso_size = o.tcp_segment;
    vh.hdr_len = o.headers;
  }
  off::write_vnet(vh, vnet);
}

std::string Gateway::offload_text() const {
  const dataplane::TapOffloads& o = tun_->offloads();
  if (!config_.offload) return "off (--offload off)";
  if (!o.checksum) return "off: " + o.reason;
  if (o.tso) return "checksum, tso";
  return "checksum (" + (config_.bypass ? std::string("no tso with --bypass") : o.reason) + ")";
}

void Gateway::on_tun_readable() {
  namespace off = dataplane::offload;
  const bool vnet = tun_->offloads().vnet_header;
  const std::size_t skip = vnet ? off::kVnetHeaderLen : 0;
  for (int i = 0; i < kPacketsPerWakeup; ++i) {
    std::size_t n = tun_->read_frame(in_buf_);
    if (n == 0) return;
    if (n < skip) continue;  // the kernel always writes the header
    Offload in;
    if (vnet) in = offload_of(std::span<const std::uint8_t, off::kVnetHeaderLen>(in_buf_.data(), off::kVnetHeaderLen));
    n -= skip;
    int write_errno = 0;
    Verdict v = translator_.handle(
        std::span<const std::uint8_t>(in_buf_.data() + skip, n), out_buf_,
        [&](std::span<const std::uint8_t> p) {
          std::array<std::uint8_t, off::kVnetHeaderLen> header{};
          if (vnet) write_offload(translator_.out_offload(), header, !p.empty() && (p[0] >> 4) == 6);
          if (tun_->write_frame(p, header)) return true;
          write_errno = errno;
          return false;
        },
        in);
    if (v.counter == Counter::tun_write_failed)
      log::debug("{}: writing a {}-byte packet failed: {}", tun_->name(), out_buf_.size(), std::strerror(write_errno));
    else if (v.fate == Fate::kDrop)
      log::debug("{}: dropped a {}-byte packet: {}", tun_->name(), n, counter_name(v.counter));
  }
}

void Gateway::on_timer() {
  std::uint64_t expirations = 0;
  if (::read(timer_fd_.get(), &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    throw_errno("reading the expiry timerfd");
  translator_.on_timer();
  // The usage log: aggregates per /32 and /24 only, never a connection.
  // `expirations` counts the seconds since the last wake-up (more than one
  // if the loop was busy).
  std::uint64_t before = ticks_;
  ticks_ += std::max<std::uint64_t>(expirations, 1);
  if (config_.usage_log_interval > 0 && ticks_ / config_.usage_log_interval != before / config_.usage_log_interval)
    for (const std::string& line : usage_log_lines(translator_.take_usage_interval()))
      log::info("{}: {}", tun_->name(), line);
}

std::string Gateway::status_json() const {
  StatusInfo info{tun_->name(), std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(),
                  static_cast<long>(::getpid()), offload_text()};
  return status_document(translator_, info).dump(2) + "\n";
}

}  // namespace gn::nat64
