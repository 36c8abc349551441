#pragma once
// What the data plane counts per tunnel: frames, bytes and drops by reason.
// Kept apart from the control protocol: the data plane counts, the endpoint
// reports.
#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace gn::dataplane {

// Why a packet was dropped. Every drop is counted under exactly one reason.
enum class Drop : std::uint8_t {
  kTruncated,         // shorter than a GENEVE header
  kBadVersion,        // GENEVE version not 0
  kOptionsTruncated,  // Opt Len past the datagram
  kOptionOverrun,     // option length past the options
  kUnknownCritical,   // critical option we do not understand
  kWrongVni,
  kWrongProtocol,           // not Ethernet (0x6558)
  kUnknownSource,           // not from the peer's path address
  kRouteForeign,            // routing option names another endpoint
  kRuntFrame,               // inner frame shorter than an Ethernet header
  kNoPath,                  // frame from the TAP before any path is known
  kControlMalformed,        // control framing with a bad version, type or body
  kControlUnknownPeer,      // control message naming no configured peer
  kControlUnauthenticated,  // no MAC where a key is configured
  kControlBadMac,           // wrong MAC
  kControlReplay,           // counter already seen or too old
  kControlStale,            // reply matching no outstanding probe
  kTooBig,                  // send failed with EMSGSIZE: larger than the path MTU
  kSendError,               // other send failure
  kTapWriteError,           // the TAP refused the frame
  kBadOffload,              // a TAP frame whose virtio-net header cannot be honoured
  kControlQueueFull,        // a control message found the send buffer and its queue full
  kSourceNotAllowed,        // shared interface: inner source outside the client's allowed_ips
  kNoPeer,                  // shared interface: no client owns the frame's inner destination
  kCount
};
std::string_view to_string(Drop d);

struct Counters {
  std::uint64_t rx_packets = 0, rx_bytes = 0;  // frames delivered to the TAP
  std::uint64_t tx_packets = 0, tx_bytes = 0;  // frames sent to the peer
  std::uint64_t rx_route_option = 0;           // received with a routing option
  std::array<std::uint64_t, static_cast<std::size_t>(Drop::kCount)> drops{};
  std::chrono::steady_clock::time_point last_rx{};

  void drop(Drop d) { ++drops[static_cast<std::size_t>(d)]; }
};

// {"rx_packets":…, …, "drops":{"wrong_vni":…}, "last_rx_seconds_ago":…|null}
nlohmann::json to_json(const Counters& c, std::chrono::steady_clock::time_point now);

}  // namespace gn::dataplane
