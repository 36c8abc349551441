// control_responder: answers an endpoint's probes the way a server on the
// kernel data plane will (docs/kernel.md, "Design ... server and auto
// mode"), for tests/lab/control_channel.sh: the GENEVE port is held by
// someone else (here a plain UDP socket standing in for the kernel device),
// control messages are read from an NFLOG group fed by our nftables capture
// table, with their outer source, and replies leave through a raw socket
// from the GENEVE port. Prints one line per message and, at the end, a JSON
// summary.
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "config/values.hpp"
#include "control/message.hpp"
#include "dataplane/outer_packet.hpp"
#include "dataplane/raw_sender.hpp"
#include "dataplane/udp.hpp"
#include "geneve/codec.hpp"
#include "geneve/control.hpp"
#include "netlink/nflog.hpp"
#include "netlink/nft.hpp"
#include "util/error.hpp"
#include "util/options.hpp"

namespace {

using namespace gn;
using Clock = std::chrono::steady_clock;

struct Options {
  net::IpAddress local, remote;
  std::uint32_t vni = 0;
  std::string key_file;
  std::uint16_t port = 6081;
  std::uint16_t group = 7;
  unsigned replies = 3;
  double timeout = 30;
};

int run(const Options& o) {
  const control::Key key = control::read_key_file(o.key_file);
  // The port's owner: data arriving here is not ours to read.
  auto holder = dataplane::UdpSocket::bind(net::Endpoint{o.local, o.port});
  netlink::NflogListener log(o.group);
  netlink::ControlCapture capture({"geneve_nat64_ctltest", "control_responder", o.port, {o.group, {0, 6}, 1000}});
  dataplane::RawSender raw;
  control::CounterSource counter;
  control::ReplayWindow replay;
  const std::array<std::uint8_t, 6> mac{0x02, 0x47, 0x4e, 0, 0, 1};
  unsigned replied = 0, seen = 0, rejected = 0;
  std::vector<std::string> sources;
  std::fprintf(stderr, "listening on NFLOG group %u for control messages to port %u\n", o.group, o.port);
  const auto deadline = Clock::now() + std::chrono::duration<double>(o.timeout);
  while (replied < o.replies && Clock::now() < deadline) {
    pollfd p{log.fd(), POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    log.receive([&](std::span<const std::uint8_t> packet) {
      ++seen;
      dataplane::outer::Datagram d;
      if (auto e = dataplane::outer::parse_udp(packet, d); e != dataplane::outer::ParseError::kOk) {
        std::fprintf(stderr, "rejected a copy: %s\n", dataplane::outer::to_string(e));
        ++rejected;
        return;
      }
      geneve::Packet pkt;
      if (geneve::parse(d.payload, geneve::OptionId{}, pkt) != geneve::ParseError::kOk || pkt.vni != o.vni ||
          !geneve::is_control_frame(pkt.payload)) {
        ++rejected;
        return;
      }
      auto r = control::parse_frame(pkt.payload);
      if (!r || control::verify(*r, pkt.vni, &key) != control::DecodeError::kOk || !replay.accept(r->message.counter) ||
          r->message.type != control::MessageType::kProbe || r->message.sender != o.remote) {
        std::fprintf(stderr, "rejected a control message from %s\n", d.from.to_string().c_str());
        ++rejected;
        return;
      }
      control::Message reply{control::MessageType::kReply,
                             o.local,
                             o.remote,
                             counter.next(),
                             r->message.probe_id,
                             control::PathKind::kLearned,
                             control::PathKind::kLearned,
                             d.from};
      auto frame = control::build_frame(reply, o.vni, mac, &key);
      geneve::HeaderBuilder header(o.vni);
      const bool sent = raw.send(net::Endpoint{o.local, o.port}, d.from, header.bytes(), frame);
      std::fprintf(stderr, "probe from %s to %s: %s\n", d.from.to_string().c_str(), d.to.to_string().c_str(),
                   sent ? "replied" : "no room to reply");
      if (sent) ++replied;
      sources.push_back(d.from.to_string());
    });
  }
  nlohmann::json summary = {{"copies", seen},
                            {"rejected", rejected},
                            {"replied", replied},
                            {"sources", sources},
                            {"overruns", log.overruns()}};
  std::printf("%s\n", summary.dump().c_str());
  return replied >= o.replies ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  gn::OptionParser options({
      gn::value("local", "ADDR", "our address (required)",
                [&](const std::string& v) { o.local = gn::config::parse_address("--local", v, std::nullopt); }),
      gn::value(
          "remote", "ADDR", "the endpoint's identity (required)",
          [&](const std::string& v) { o.remote = gn::config::parse_address("--remote", v, gn::net::Family::kV6); }),
      gn::value("vni", "N", "VNI", [&](const std::string& v) { o.vni = gn::config::parse_vni(v); }),
      gn::value("key-file", "FILE", "pre-shared key (required)", [&](const std::string& v) { o.key_file = v; }),
      gn::value("port", "P", "GENEVE port (default 6081)",
                [&](const std::string& v) { o.port = gn::config::parse_port("--port", v); }),
      gn::value("group", "G", "NFLOG group (default 7)",
                [&](const std::string& v) { o.group = gn::config::parse_port("--group", v); }),
      gn::value("replies", "N", "exit 0 after this many replies (default 3)",
                [&](const std::string& v) { o.replies = static_cast<unsigned>(std::stoul(v)); }),
      gn::value("timeout", "S", "give up after S seconds (default 30)",
                [&](const std::string& v) { o.timeout = std::stod(v); }),
  });
  try {
    options.parse(std::vector<std::string>(argv + 1, argv + argc));
    if (o.key_file.empty()) throw gn::UsageError("--key-file is required");
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "control_responder: %s\n", e.what());
    return 2;
  }
}
