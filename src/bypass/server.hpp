#pragma once
// The server side of the NAT64 bypass (docs/protocol.md 8.4-8.7), pure:
// datagrams and IPv6 packets in, datagrams and IPv6 packets out, the time
// passed in. geneve-bypass (bypass/daemon.cpp) wires it to the UDP socket,
// the TUN device and the log.
//
// For each gateway it accepted it keeps the VNI, the gateway's MAC and
// link-local address, the address the gateway's clients reach this server
// at (P::S) and the connection table of those clients (FlowTable).
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bypass/derive.hpp"
#include "bypass/flow_table.hpp"

namespace gn::bypass {

// Why a datagram or packet was not passed on, and what went well.
#define GN_BYPASS_SERVER_COUNTERS(X)                                                                            \
  X(offers_answered)                                                                                            \
  X(data_from_gateways) X(data_to_gateways) X(keepalives_sent) X(not_geneve) X(bypass_option_duplicated)        \
      X(offer_untrusted) X(offer_no_option) X(offer_malformed) X(offer_wrong_target) X(gateways_full)           \
          X(unknown_gateway) X(wrong_port) X(wrong_vni) X(data_no_option) X(wrong_mac) X(not_ipv6) X(malformed) \
              X(bad_destination) X(bad_source) X(no_gateway_for_source)

enum class ServerCounter : std::uint8_t {
#define GN_X(name) name,
  GN_BYPASS_SERVER_COUNTERS(GN_X)
#undef GN_X
      kCount
};
std::string_view to_string(ServerCounter c);

struct TrustedGateway {
  Ipv4 address{};
  int prefix_length = 96;  // of its NAT64 prefix: where the offer's target embeds our address
};

struct ServerConfig {
  std::vector<TrustedGateway> trusted;
  bool trust_any = false;  // every source is trusted, at prefix length 96
  // This server's IPv4 address as the gateways see it; unset: the
  // destination of each offer (the address it arrived at).
  std::optional<Ipv4> address;
  std::uint16_t port = 6081;
  Clock::duration keepalive = std::chrono::seconds(10);
  std::size_t max_flows = FlowTable::kDefaultCapacity;  // per gateway
  Clock::duration flow_timeout = std::chrono::seconds(300);
  std::size_t max_gateways = 64;
};

// What the server remembers of a gateway across its own restarts (the
// state directory) and shows in its status.
struct GatewayInfo {
  Ipv4 address{};
  std::uint32_t vni = 0;
  Mac mac{};          // the gateway's MAC (its latest offer)
  Ipv6 link_local{};  // the gateway's address in the tunnel
  Ipv6 mapped{};      // P::S, this server's address for its clients
  int prefix_length = 96;
};

struct Datagram {
  Ipv4 to{};
  std::vector<std::uint8_t> payload;  // the UDP payload: GENEVE
};

// What a flow did, for the log: "Created [2001:db8::17]:53186".
struct FlowLogEvent {
  Ipv4 gateway{};
  FlowEvent event;
};

class Server {
 public:
  Server(ServerConfig config, const Mac& tunnel_mac);

  struct Result {
    std::optional<ServerCounter> counter;  // what it was counted as
    std::vector<Datagram> send;            // an acceptance
    std::span<const std::uint8_t> to_tun;  // the client's IPv6 packet (in the datagram)
    std::optional<GatewayInfo> gateway;    // a gateway accepted anew or changed
    std::string offer_message;             // its offer's log message (escaped), when accepted anew
  };
  // A datagram to the GENEVE port from `from`:`from_port`, received at
  // `local` (the address it was sent to).
  Result on_datagram(const Ipv4& from, std::uint16_t from_port, const Ipv4& local,
                     std::span<const std::uint8_t> datagram, Clock::time_point now);
  // An IPv6 packet the host routed into the tunnel: the datagram to its
  // gateway (chosen by the packet's source, P::S), or nullopt (counted).
  std::optional<Datagram> on_tun_packet(std::span<const std::uint8_t> packet, Clock::time_point now);
  // Keepalives that are due, and idle flows expired.
  std::vector<Datagram> on_timer(Clock::time_point now);
  // A leave to every gateway (the server is stopping); every flow deleted.
  std::vector<Datagram> leave_all();
  // A gateway remembered from an earlier run: served as accepted, its
  // first keepalive at once.
  void restore(const GatewayInfo& info, Clock::time_point now);

  std::vector<FlowLogEvent> take_flow_events() { return std::exchange(flow_events_, {}); }
  std::vector<GatewayInfo> gateways() const;
  std::size_t flows(const Ipv4& gateway) const;
  std::uint64_t count(ServerCounter c) const { return counters_[static_cast<std::size_t>(c)]; }
  const Mac& tunnel_mac() const { return tunnel_mac_; }
  const ServerConfig& config() const { return config_; }

 private:
  struct Served {
    GatewayInfo info;
    FlowTable flows;
    Clock::time_point next_keepalive;
  };
  Result counted(ServerCounter c) {
    ++counters_[static_cast<std::size_t>(c)];
    Result r;
    r.counter = c;
    return r;
  }
  std::optional<int> trusted_prefix_length(const Ipv4& from) const;
  Result on_offer(const Ipv4& from, const Ipv4& local, std::uint32_t vni, std::span<const std::uint8_t> option_data,
                  std::size_t options, std::span<const std::uint8_t> frame, Clock::time_point now);
  Datagram frame_to(const GatewayInfo& g, std::span<const std::uint8_t> frame) const;
  Datagram keepalive_to(const GatewayInfo& g, bool leave) const;
  void touch(Served& s, const FlowKey& key, Clock::time_point now);

  ServerConfig config_;
  Mac tunnel_mac_;
  std::map<Ipv4, Served> served_;
  std::vector<FlowLogEvent> flow_events_;
  std::array<std::uint64_t, static_cast<std::size_t>(ServerCounter::kCount)> counters_{};
};

}  // namespace gn::bypass
