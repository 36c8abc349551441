// many_clients: one process that acts as N geneve-client endpoints, for the
// many-clients lab test (tests/lab/many_clients.sh, issue 4: "at least 200
// clients connected to one server at once, each exchanging traffic").
//
// Client i (1..N) has its own UDP socket (its own source port, so a NAT in
// front of us gives it its own mapping), its own identity (LOCAL)
// IDENTITY_PREFIX::i, VNI VNI_BASE+i, its own MAC 02:c8:00:00:ii:ii and inner
// address INNER_PREFIX:0:0:i::2. The address it pings is its own server TAP's
// ...:i::1 (one TAP per client), or with --server-inner the one address of a
// server whose clients share one interface. It speaks the control protocol
// of docs/protocol.md section 6 through gn_core (codec, message framing,
// MAC, replay window): probes the server through PATH with the routing
// option, answers the server's probes (challenges, keepalives) and, once its
// path answers, sends ICMPv6 echo requests to that address and counts the
// echo replies. It answers the server kernel's neighbour solicitations for
// its inner address.
//
// All N clients live in one process: each client's timers are one entry in a
// queue ordered by time, so a loop turn costs what is due, not a walk over
// every client (10,000 of them are meant to work).
//
// Progress goes to stderr once a second; on SIGINT/SIGTERM or after
// --duration a JSON summary goes to stdout (or --summary FILE).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <csignal>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <queue>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/values.hpp"
#include "control/message.hpp"
#include "geneve/codec.hpp"
#include "geneve/control.hpp"
#include "net/address.hpp"
#include "net/checksum.hpp"
#include "util/bytes.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/options.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using gn::net::Endpoint;
using gn::net::IpAddress;
namespace control = gn::control;
namespace geneve = gn::geneve;
namespace checksum = gn::checksum;
using gn::load16;
using gn::store16;

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

struct Options {
  unsigned count = 200;
  std::string key_file;
  std::string path = "192.0.2.7";
  std::string server = "2001:db8:5::1";
  std::uint16_t port = geneve::kDefaultPort;
  std::uint32_t vni_base = 1000;
  std::string identity_prefix = "fd00:c8::";
  std::string inner_prefix = "fd01::";  // client i: <prefix with word 3 = i>::2
  std::string server_inner;             // empty: client i pings <prefix with word 3 = i>::1
  double duration = 60;
  double start_rate = 0;  // clients started per second; 0: all at once
  unsigned ping_interval_ms = 500;
  unsigned keepalive_ms = 5000;
  unsigned reply_timeout_ms = 1000;
  std::string summary;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "many_clients: %s\n"
               "usage: many_clients --key-file K [OPTIONS] (--help lists them)\n",
               why);
  std::exit(2);
}

IpAddress with_index(const std::string& prefix, unsigned word, unsigned i, std::uint8_t last) {
  auto a = IpAddress::parse(prefix);
  if (!a || !a->is_v6()) usage("bad IPv6 prefix");
  auto b = a->bytes();
  if (word < 8) {
    b[std::size_t{word} * 2] = static_cast<std::uint8_t>(i >> 8);
    b[std::size_t{word} * 2 + 1] = static_cast<std::uint8_t>(i);
  }
  if (last) b[15] = last;
  return IpAddress::v6(b);
}

// ICMPv6 checksum (RFC 4443 2.3) over the pseudo-header and the message.
std::uint16_t icmp6_checksum(const std::array<std::uint8_t, 16>& src, const std::array<std::uint8_t, 16>& dst,
                             const std::uint8_t* msg, std::size_t len) {
  return checksum::finish(
      checksum::sum_bytes({msg, len}, checksum::pseudo_v6(src, dst, 58, static_cast<std::uint32_t>(len))));
}

// Ethernet + IPv6 + ICMPv6 message (checksum filled in).
std::vector<std::uint8_t> icmp6_frame(const std::array<std::uint8_t, 6>& dst_mac,
                                      const std::array<std::uint8_t, 6>& src_mac, const IpAddress& src,
                                      const IpAddress& dst, std::uint8_t hop_limit, std::vector<std::uint8_t> icmp) {
  icmp[2] = icmp[3] = 0;
  store16(&icmp[2], icmp6_checksum(src.bytes(), dst.bytes(), icmp.data(), icmp.size()));
  std::vector<std::uint8_t> f(14 + 40 + icmp.size());
  std::copy(dst_mac.begin(), dst_mac.end(), f.begin());
  std::copy(src_mac.begin(), src_mac.end(), f.begin() + 6);
  store16(&f[12], 0x86dd);
  std::uint8_t* ip = &f[14];
  ip[0] = 0x60;
  store16(ip + 4, static_cast<std::uint16_t>(icmp.size()));
  ip[6] = 58;
  ip[7] = hop_limit;
  std::copy(src.bytes().begin(), src.bytes().end(), ip + 8);
  std::copy(dst.bytes().begin(), dst.bytes().end(), ip + 24);
  std::copy(icmp.begin(), icmp.end(), f.begin() + 54);
  return f;
}

struct Client {
  unsigned index = 0;
  gn::Fd fd;
  std::uint32_t vni = 0;
  IpAddress identity, inner, server_inner;
  std::array<std::uint8_t, 6> mac{};
  std::optional<std::array<std::uint8_t, 6>> server_mac;
  control::ReplayWindow replay;
  std::optional<std::uint64_t> outstanding;
  Clock::time_point started{}, sent_at{}, next_probe{}, next_ping{};
  // The time of this client's live entry in the wake-up queue; other
  // entries for it are stale and skipped.
  std::optional<Clock::time_point> scheduled;
  std::optional<Clock::time_point> first_reply, first_echo_reply;
  std::optional<Endpoint> observed;  // how the server sees us
  std::uint64_t probes_sent = 0, replies_received = 0, probes_missed = 0;
  std::uint64_t server_probes = 0, replies_sent = 0, control_rejected = 0;
  std::uint64_t echo_sent = 0, echo_replies = 0, ns_answered = 0, other_frames = 0;
  std::uint16_t seq = 0;
  bool up() const { return first_reply.has_value(); }
};

class Driver {
 public:
  explicit Driver(Options o) : opt_(std::move(o)) {
    key_ = control::read_key_file(opt_.key_file);
    auto path = IpAddress::parse(opt_.path);
    auto server = IpAddress::parse(opt_.server);
    if (!path || !server || !server->is_v6()) usage("bad --path or --server");
    path_ = Endpoint{*path, opt_.port};
    server_ = *server;
    std::optional<IpAddress> shared_inner;
    if (!opt_.server_inner.empty()) {
      shared_inner = IpAddress::parse(opt_.server_inner);
      if (!shared_inner || !shared_inner->is_v6()) usage("bad --server-inner (an IPv6 address)");
    }
    epfd_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epfd_) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
    clients_.resize(opt_.count);
    for (unsigned i = 0; i < opt_.count; ++i) {
      Client& c = clients_[i];
      c.index = i + 1;
      c.vni = opt_.vni_base + c.index;
      c.identity = with_index(opt_.identity_prefix, 8, 0, 0);
      auto id = c.identity.bytes();
      store16(&id[14], static_cast<std::uint16_t>(c.index));
      c.identity = IpAddress::v6(id);
      c.inner = with_index(opt_.inner_prefix, 3, c.index, 2);
      c.server_inner = shared_inner ? *shared_inner : with_index(opt_.inner_prefix, 3, c.index, 1);
      c.mac = {0x02, 0xc8, 0, 0, static_cast<std::uint8_t>(c.index >> 8), static_cast<std::uint8_t>(c.index)};
    }
  }

  int run() {
    auto t0 = Clock::now();
    start_ = t0;
    auto end = t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(opt_.duration));
    unsigned started = 0;
    auto next_progress = t0 + 1s;
    std::array<epoll_event, 256> events;
    std::array<std::uint8_t, 2048> buf;
    for (auto now = t0; !g_stop && now < end; now = Clock::now()) {
      while (started < clients_.size() && start_time(started) <= now) {
        Client& c = clients_[started++];
        open(c, now);
        schedule(c);
      }
      while (!wakes_.empty() && wakes_.top().at <= now) {
        Wake w = wakes_.top();
        wakes_.pop();
        Client& c = clients_[w.index];
        if (c.scheduled != w.at) continue;  // superseded by an earlier one
        c.scheduled.reset();
        tick(c, now);
        schedule(c);
      }
      if (now >= next_progress) {
        next_progress = now + 1s;
        progress(now);
      }
      auto until = std::min(next_progress, end);
      if (!wakes_.empty()) until = std::min(until, wakes_.top().at);
      if (started < clients_.size()) until = std::min(until, start_time(started));
      auto wait_ms = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
      int n = ::epoll_wait(epfd_.get(), events.data(), static_cast<int>(events.size()),
                           static_cast<int>(std::clamp<long long>(wait_ms, 0, 1000)));
      for (int e = 0; e < n; ++e) {
        Client& c = clients_[events[e].data.u32];
        for (;;) {
          sockaddr_storage ss{};
          socklen_t sl = sizeof ss;
          ssize_t len =
              ::recvfrom(c.fd.get(), buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&ss), &sl);
          if (len < 0) break;
          auto from = Endpoint::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), sl);
          if (from) receive(c, std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(len)), *from);
        }
        schedule(c);  // a reply or a learned server MAC can bring its next step forward
      }
    }
    progress(Clock::now());
    summary();
    return 0;
  }

 private:
  // Client i (0-based) starts at t0 + i / --start-rate (all at t0 without a rate).
  Clock::time_point start_time(unsigned i) const {
    if (opt_.start_rate <= 0) return start_;
    return start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(i / opt_.start_rate));
  }

  // When the client next has something to do: a probe's reply timeout or
  // its next probe, and its next ping once it can ping.
  Clock::time_point next_wake(const Client& c) const {
    auto at = c.outstanding ? c.sent_at + std::chrono::milliseconds(opt_.reply_timeout_ms) : c.next_probe;
    if (c.up() && c.server_mac) at = std::min(at, c.next_ping);
    return at;
  }

  // Keeps one live queue entry per client at its next_wake, or earlier (a
  // wake-up with nothing due just schedules again).
  void schedule(Client& c) {
    auto at = next_wake(c);
    if (c.scheduled && *c.scheduled <= at) return;
    c.scheduled = at;
    wakes_.push(Wake{at, c.index - 1});
  }

  void open(Client& c, Clock::time_point now) const {
    c.fd.reset(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!c.fd) throw std::runtime_error("socket for client " + std::to_string(c.index) + ": " + std::strerror(errno));
    sockaddr_in any{};
    any.sin_family = AF_INET;
    if (::bind(c.fd.get(), reinterpret_cast<sockaddr*>(&any), sizeof any) < 0)
      throw std::runtime_error("bind for client " + std::to_string(c.index) + ": " + std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = c.index - 1;
    if (::epoll_ctl(epfd_.get(), EPOLL_CTL_ADD, c.fd.get(), &ev) < 0)
      throw std::runtime_error("epoll_ctl for client " + std::to_string(c.index) + ": " + std::strerror(errno));
    c.started = now;
    c.next_probe = now;
    c.next_ping = now;
  }

  void send(Client& c, const Endpoint& to, std::span<const std::uint8_t> frame) {
    geneve::HeaderBuilder h(c.vni);
    h.add_route(geneve::OptionId{}, geneve::Nat64Route{server_.bytes(), opt_.port});
    auto hdr = h.bytes();
    iovec iov[2] = {{const_cast<std::uint8_t*>(hdr.data()), hdr.size()},
                    {const_cast<std::uint8_t*>(frame.data()), frame.size()}};
    sockaddr_storage ss{};
    msghdr m{};
    m.msg_name = &ss;
    m.msg_namelen = to.to_sockaddr(ss);
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    if (::sendmsg(c.fd.get(), &m, MSG_DONTWAIT) < 0) ++send_errors_;
  }

  void send_message(Client& c, control::Message m, const Endpoint& to) {
    m.sender = c.identity;
    m.receiver = server_;
    m.counter = counter_.next();
    m.sent_on = control::PathKind::kNat64;
    m.in_use = control::PathKind::kNat64;
    auto frame = control::build_frame(m, c.vni, c.mac, &key_);
    send(c, to, frame);
  }

  void tick(Client& c, Clock::time_point now) {
    if (c.outstanding && now - c.sent_at >= std::chrono::milliseconds(opt_.reply_timeout_ms)) {
      c.outstanding.reset();
      ++c.probes_missed;
      c.next_probe = now;  // after a miss, probe again at once (6.5)
    }
    if (!c.outstanding && now >= c.next_probe) {
      control::Message m;
      m.type = control::MessageType::kProbe;
      m.probe_id = control::random_probe_id();
      c.outstanding = m.probe_id;
      c.sent_at = now;
      c.next_probe = now + std::chrono::milliseconds(opt_.keepalive_ms);
      send_message(c, m, path_);
      ++c.probes_sent;
    }
    if (c.up() && c.server_mac && now >= c.next_ping) {
      c.next_ping = now + std::chrono::milliseconds(opt_.ping_interval_ms);
      std::vector<std::uint8_t> icmp(8 + 16, 0);
      icmp[0] = 128;  // echo request
      store16(&icmp[4], static_cast<std::uint16_t>(c.index));
      store16(&icmp[6], ++c.seq);
      std::memcpy(&icmp[8], "many_clients....", 16);
      send(c, path_, icmp6_frame(*c.server_mac, c.mac, c.inner, c.server_inner, 64, std::move(icmp)));
      ++c.echo_sent;
    }
  }

  void receive(Client& c, std::span<const std::uint8_t> datagram, const Endpoint& from) {
    geneve::Packet p;
    if (geneve::parse(datagram, geneve::OptionId{}, p) != geneve::ParseError::kOk || p.vni != c.vni ||
        p.protocol != geneve::kProtoEthernet || p.payload.size() < 14) {
      ++bad_datagrams_;
      return;
    }
    auto frame = p.payload;
    if (geneve::is_control_frame(frame)) return on_control(c, frame, from);
    std::array<std::uint8_t, 6> src_mac;
    std::copy(frame.begin() + 6, frame.begin() + 12, src_mac.begin());
    if (load16(&frame[12]) != 0x86dd || frame.size() < 14 + 40 + 8 || frame[14 + 6] != 58) {
      ++c.other_frames;
      return;
    }
    const std::uint8_t* ip = &frame[14];
    const std::uint8_t* icmp = ip + 40;
    std::size_t icmp_len = frame.size() - 54;
    std::array<std::uint8_t, 16> ip_src, ip_dst;
    std::copy(ip + 8, ip + 24, ip_src.begin());
    std::copy(ip + 24, ip + 40, ip_dst.begin());
    if (icmp6_checksum(ip_src, ip_dst, icmp, std::min<std::size_t>(icmp_len, load16(ip + 4))) != 0) {
      ++bad_checksums_;
      return;
    }
    if (icmp[0] == 129 && IpAddress::v6(ip_dst) == c.inner && load16(icmp + 4) == c.index) {
      if (!c.first_echo_reply) c.first_echo_reply = Clock::now();
      ++c.echo_replies;
    } else if (icmp[0] == 135 && icmp_len >= 24 && std::equal(icmp + 8, icmp + 24, c.inner.bytes().begin())) {
      // Neighbour solicitation for our inner address: solicited, override NA
      // with our MAC as target link-layer address.
      c.server_mac = src_mac;
      std::vector<std::uint8_t> na(32, 0);
      na[0] = 136;
      na[4] = 0x60;  // S, O
      std::copy(c.inner.bytes().begin(), c.inner.bytes().end(), na.begin() + 8);
      na[24] = 2;  // target link-layer address option, 1 unit of 8 bytes
      na[25] = 1;
      std::copy(c.mac.begin(), c.mac.end(), na.begin() + 26);
      IpAddress dst = IpAddress::v6(ip_src);
      if (dst == IpAddress{}) dst = *IpAddress::parse("ff02::1");
      send(c, path_, icmp6_frame(src_mac, c.mac, c.inner, dst, 255, std::move(na)));
      ++c.ns_answered;
    } else {
      ++c.other_frames;
    }
  }

  void on_control(Client& c, std::span<const std::uint8_t> frame, const Endpoint& from) {
    auto r = control::parse_frame(frame);
    if (!r || r->message.sender != server_ || r->message.receiver != c.identity ||
        control::verify(*r, c.vni, &key_) != control::DecodeError::kOk || !c.replay.accept(r->message.counter)) {
      ++c.control_rejected;
      return;
    }
    // Control frames carry the server TAP's MAC as source (6.1).
    std::array<std::uint8_t, 6> src_mac;
    std::copy(frame.begin() + 6, frame.begin() + 12, src_mac.begin());
    if (src_mac != std::array<std::uint8_t, 6>{}) c.server_mac = src_mac;
    const control::Message& m = r->message;
    if (m.type == control::MessageType::kProbe) {
      ++c.server_probes;
      control::Message reply;
      reply.type = control::MessageType::kReply;
      reply.probe_id = m.probe_id;
      reply.observed = from;
      send_message(c, reply, from);
      ++c.replies_sent;
    } else if (c.outstanding && m.probe_id == *c.outstanding && from == path_) {
      c.outstanding.reset();
      ++c.replies_received;
      if (!c.first_reply) c.first_reply = Clock::now();
      c.observed = m.observed;
    } else {
      ++c.control_rejected;
    }
  }

  double ms(std::optional<Clock::time_point> t) const {
    return t ? std::chrono::duration<double, std::milli>(*t - start_).count() : -1;
  }

  void progress(Clock::time_point now) {
    unsigned up = 0, challenged = 0, echoing = 0;
    std::uint64_t replies = 0;
    for (const auto& c : clients_) {
      up += c.up();
      challenged += c.server_probes > 0;
      echoing += c.echo_replies > 0;
      replies += c.echo_replies;
    }
    std::fprintf(stderr, "t=%.1fs clients=%zu up=%u probed_by_server=%u echoing=%u echo_replies=%llu\n",
                 std::chrono::duration<double>(now - start_).count(), clients_.size(), up, challenged, echoing,
                 static_cast<unsigned long long>(replies));
    if (echoing == clients_.size() && !all_echoing_reported_) {
      all_echoing_reported_ = true;
      std::fprintf(stderr, "all %zu clients have echo replies after %.1f s\n", clients_.size(),
                   std::chrono::duration<double>(now - start_).count());
    }
    std::fflush(stderr);
  }

  void summary() {
    nlohmann::json out;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : clients_) {
      list.push_back({{"index", c.index},
                      {"vni", c.vni},
                      {"identity", c.identity.to_string()},
                      {"inner", c.inner.to_string()},
                      {"observed", c.observed ? nlohmann::json(c.observed->to_string()) : nlohmann::json(nullptr)},
                      {"probes_sent", c.probes_sent},
                      {"probes_missed", c.probes_missed},
                      {"replies_received", c.replies_received},
                      {"server_probes", c.server_probes},
                      {"replies_sent", c.replies_sent},
                      {"control_rejected", c.control_rejected},
                      {"echo_sent", c.echo_sent},
                      {"echo_replies", c.echo_replies},
                      {"ns_answered", c.ns_answered},
                      {"other_frames", c.other_frames},
                      {"first_reply_ms", ms(c.first_reply)},
                      {"first_echo_reply_ms", ms(c.first_echo_reply)}});
    }
    out["clients"] = list;
    out["bad_datagrams"] = bad_datagrams_;
    out["bad_checksums"] = bad_checksums_;
    out["send_errors"] = send_errors_;
    std::string text = out.dump(1) + "\n";
    if (opt_.summary.empty()) {
      std::fputs(text.c_str(), stdout);
    } else {
      std::ofstream(opt_.summary) << text;
    }
  }

  Options opt_;
  control::Key key_{};
  Endpoint path_;
  IpAddress server_;
  control::CounterSource counter_;
  gn::Fd epfd_;
  std::vector<Client> clients_;
  struct Wake {
    Clock::time_point at;
    unsigned index;  // into clients_
    bool operator>(const Wake& o) const { return at > o.at; }
  };
  std::priority_queue<Wake, std::vector<Wake>, std::greater<>> wakes_;
  Clock::time_point start_{};
  std::uint64_t bad_datagrams_ = 0, bad_checksums_ = 0, send_errors_ = 0;
  bool all_echoing_reported_ = false;
};

// One socket per client: lift the soft RLIMIT_NOFILE (often 1024) towards
// the hard one, so that 10,000 clients fit.
void raise_fd_limit(unsigned count) {
  constexpr rlim_t kSpare = 64;  // stdio, epoll, what the libraries open
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) < 0) throw std::runtime_error(std::string("getrlimit: ") + std::strerror(errno));
  rlim_t need = count + kSpare;
  if (rl.rlim_cur >= need) return;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
    throw std::runtime_error("RLIMIT_NOFILE hard limit " + std::to_string(rl.rlim_max) + " is below the " +
                             std::to_string(need) + " descriptors " + std::to_string(count) + " clients need");
  rl.rlim_cur = need;
  if (::setrlimit(RLIMIT_NOFILE, &rl) < 0)
    throw std::runtime_error("setrlimit RLIMIT_NOFILE " + std::to_string(need) + ": " + std::strerror(errno));
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  auto number = [](const char* what, const std::string& v) { return gn::config::parse_uint(what, v, 0, 0xffffffff); };
  auto real = [](const std::string& v) {
    std::size_t end = 0;
    double d = std::stod(v, &end);
    if (end != v.size()) throw gn::UsageError("'" + v + "' is not a number");
    return d;
  };
  gn::OptionParser options({
      gn::value("count", "N", "clients (default 200)", [&](const std::string& v) { o.count = number("count", v); }),
      gn::value("key-file", "K", "pre-shared key file (required)", [&](const std::string& v) { o.key_file = v; }),
      gn::value("path", "IPV4", "the server gateway's address (default 192.0.2.7)",
                [&](const std::string& v) { o.path = v; }),
      gn::value("server", "IPV6", "the server's identity (default 2001:db8:5::1)",
                [&](const std::string& v) { o.server = v; }),
      gn::value("port", "P", "GENEVE port (default 6081)",
                [&](const std::string& v) { o.port = gn::config::parse_port("port", v); }),
      gn::value("vni-base", "V", "client i has VNI V+i (default 1000)",
                [&](const std::string& v) { o.vni_base = number("VNI base", v); }),
      gn::value("identity-prefix", "P6", "client i is P6::i (default fd00:c8::)",
                [&](const std::string& v) { o.identity_prefix = v; }),
      gn::value("inner-prefix", "P6", "client i has P6:0:0:i::2 (default fd01::)",
                [&](const std::string& v) { o.inner_prefix = v; }),
      gn::value("server-inner", "IPV6",
                "the address every client pings, on a server whose clients share one interface "
                "(default: client i pings P6:0:0:i::1, its own server TAP)",
                [&](const std::string& v) { o.server_inner = v; }),
      gn::value("duration", "S", "seconds to run (default 60)", [&](const std::string& v) { o.duration = real(v); }),
      gn::value("start-rate", "R", "clients started per second (default 0: all at once)",
                [&](const std::string& v) { o.start_rate = real(v); }),
      gn::value("ping-interval-ms", "MS", "echo request interval (default 500)",
                [&](const std::string& v) { o.ping_interval_ms = number("ping interval", v); }),
      gn::value("summary", "FILE", "JSON summary here, not stdout", [&](const std::string& v) { o.summary = v; }),
  });
  bool help = false;
  options.add(gn::flag("help", "show this help and exit", [&] { help = true; }));
  try {
    auto positional = options.parse({argv + 1, argv + argc});
    if (!positional.empty()) throw gn::UsageError("unexpected argument '" + positional[0] + "'");
  } catch (const std::exception& e) {  // UsageError, or std::stod's
    usage(e.what());
  }
  if (help) {
    std::printf("usage: many_clients --key-file K [OPTIONS]\n%s", options.help().c_str());
    return 0;
  }
  if (o.key_file.empty()) usage("--key-file is required");
  if (o.count == 0 || o.count > 65535) usage("--count must be 1..65535");
  try {
    raise_fd_limit(o.count);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "many_clients: %s\n", e.what());
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  try {
    return Driver(o).run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "many_clients: %s\n", e.what());
    return 1;
  }
}
